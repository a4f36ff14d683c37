"""The fictional demo practice (`rapport demo`): planned in `practice` and `data`, written through
the product's models and services. No domain app depends on it."""
