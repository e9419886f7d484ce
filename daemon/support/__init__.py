"""Partner support tickets: threads, automatic priority and category, SLA, figures for alert rules.

The surface: `routes.support_endpoints()`, `context.install(app)` and `context.support_context`
(wiring), `figures.ticket_figures(conn, now)` (the `tickets.*` namespace), `settings.SupportSettings`
(the `support:` config section). Nothing is imported here, so config.py can import
`daemon.support.settings` without a cycle through daemon.keys.
"""
