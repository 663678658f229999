"""Benchmarks (run as scripts: `python bench/bench_live.py`) and the harness they share with
the test servers of the root conftest.py."""
