"""Benchmarks run by `make bench` (rapport.bench)."""
