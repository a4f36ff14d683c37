"""Research tools on files: scoring, reliable change, sudden gains and growth curves over a
researcher's CSV exports (the `score`, `change`, `suddengains` and `growth` commands). They run
without the server's secrets or database content, and no domain app depends on them."""
