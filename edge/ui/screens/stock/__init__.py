"""Stock: levels per SKU and lot, near-expiry, receiving, counts and adjustments."""
