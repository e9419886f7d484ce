"""Autopilot: the energy shortage forecast, energy actions by policy, and the cost ledger."""
