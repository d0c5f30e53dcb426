"""Hardware edge of store-edge: scanners, printers, probes and their simulators.

Each driver turns hardware into plain events (a scanned string, a temperature reading, a printer
status) and plain jobs (print these bytes). Nothing here knows about orders, and nothing here
imports ``edge`` or ``sync``.
"""
