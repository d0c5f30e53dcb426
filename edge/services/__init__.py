"""Background services of the store app: printing, probes, scanners, on the devices drivers.

Each runs in daemon threads with its own database connection (SQLite connections stay in the
thread that opened them) and reports to the UI through callbacks the app wraps with
``call_from_thread``: the counter never waits on a device (design property 2).
"""
