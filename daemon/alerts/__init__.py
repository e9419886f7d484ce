"""Alert rules evaluated without eval, and durable notification delivery.

Import from the submodules (`daemon.alerts.context`, `.routes`, `.settings`): config.py imports
`daemon.alerts.settings`, so this package's __init__ must not import the app-facing modules.
"""
