"""One module per command noun; each returns plain data for the output boundary."""
