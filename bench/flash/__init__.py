"""Pieces of the flash-sale benchmark (``bench/bench_flash_sale.py``): the plan every process
shares, the store and channel programs, and the checks run over both sides' databases."""
