"""Test infrastructure shared by tests and benchmarks (not shipped code)."""
