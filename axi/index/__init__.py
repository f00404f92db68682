"""The incremental session catalog: store (SQLite), scan (incremental), catalog (queries)."""
