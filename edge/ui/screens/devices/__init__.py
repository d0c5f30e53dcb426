"""Device screens: fridges and their temperatures (F7), acknowledging an alarm."""
