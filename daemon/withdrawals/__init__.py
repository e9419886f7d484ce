"""Withdrawal queue (wait for energy) and emergency withdrawals (the user pays the TRX fee)."""
