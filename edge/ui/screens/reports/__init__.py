"""Reports: day end."""
