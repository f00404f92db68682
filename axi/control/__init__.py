"""The control plane: launch harness sessions under a holder, drive them, fence their runs.

Data flows one way. A launch writes a record (`records`) and spawns a detached `holder` that
runs the harness under a pseudo-terminal, serves a Unix socket (`protocol`) and writes a
heartbeat (`live`). Commands read records and heartbeats to derive a session's status, talk
to the holder through `client`, and never keep a daemon of their own.
"""
