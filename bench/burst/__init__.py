"""Parts of the live-stream burst bench (bench/bench_burst.py)."""
