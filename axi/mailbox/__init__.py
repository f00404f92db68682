"""The offline local-message router: agent identities, mail, tasks, in one SQLite file.

Unlike the catalog index, the mailbox is the user's data: it is never rebuilt or wiped, only
migrated forward. Modules: db (connection, schema, writes), identity (fingerprints, pointer
files, approval, resolution), mail (send, inbox, read/ack), tasks, wait (blocking without a
transaction), summary (the dashboard's few lines; no click).
"""
