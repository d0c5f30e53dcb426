"""Behind the counter: task board, pick, pack, overdue pickups."""
