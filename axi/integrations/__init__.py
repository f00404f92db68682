"""Agent integrations `axi setup hooks` installs: one module per host, and what the hooks read
(payload, states). The hook's entry point (`axi.commands.hook_entry`) and skill generation
(`axi.commands.skill`) are commands: they run the dashboard and read the click tree, which sit
above this package.

Nothing here runs unless the user asks (`axi setup ...`); no other command writes agent
configuration.
"""
