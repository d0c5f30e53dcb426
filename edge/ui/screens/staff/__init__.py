"""Staff: clerks and managers, PINs, unlocking."""
