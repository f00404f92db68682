"""Agent integrations `axi setup hooks` installs: one module per host, plus skill generation.

Nothing here runs unless the user asks (`axi setup ...`); no other command writes agent
configuration.
"""
