"""SQLite as the stdlib's C core (`_sqlite3`) gives it, without the `sqlite3` package's own
import: that imports `datetime` to register date adapters axi never uses (times here are
epoch numbers), about 3 ms of every command's start-up. Every name axi uses (`connect`,
`Connection`, `Row`, the error classes) is the C core's own object, the same one `sqlite3`
re-exports, so code and tests may mix the two."""

from __future__ import annotations

try:
    import _sqlite3 as sqlite3
except ImportError:  # a Python whose sqlite3 is not this C core
    import sqlite3  # noqa: F401 - the name this module gives

__all__ = ["sqlite3"]
