"""HQ: the other side of sync. Imports nothing of ``edge``.

app        FastAPI app factory ``create_app(db_url, *, webhook_url, clock, ...)``
cli        ``store-edge hq ...`` (``add_subparsers``, ``run``)
service    back-office functions (orders, catalog, transfers, allotments) -- one import point
ingest     push: apply a store's events at most once, in seq order
changes    the per-store change feed: emit (gapless, commit-ordered), pull, snapshot
rules      the conflict rules, each a named function with a named test
apply      one handler per store event type; orders / stock / tasks hold the state changes
registry   stores, channels, hashed tokens, the epoch
notify     customer notification outbox + webhook deliverer; sweeper: 30-minute release
db         one storage interface over SQLite and PostgreSQL; schema: the tables
"""
