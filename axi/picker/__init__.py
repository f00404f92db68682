"""`axi pick`: the terminal UI for the person at the keyboard (Textual).

Only `axi.commands.pick` imports this package, so no other command pays for Textual."""
