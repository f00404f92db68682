"""The local-message router: agent identities, mail, tasks, shared context and their history.

Unlike the catalog index, the mailbox is the user's data: it is never rebuilt or wiped, only
migrated forward. It lives in one SQLite file (db: connection, schema, writes), or in a team's
PostgreSQL database when one is configured (store: which one; pg: the same connection surface
over psycopg; pg_schema: its schema and row-level security; outbox: sends that wait while it is
away). Modules: identity (fingerprints, pointer files, approval, resolution), mail (send,
inbox, read/ack), tasks, context, wait (blocking without a transaction), summary (the
dashboard's few lines; no click).
"""
