"""The operator console: `axi doctor`'s checks, the diagnostic log's reader (its writer is
`axi/diaglog.py`, low enough for the hook, the sweeper and the holder to call), and what the
price table in use is."""
