"""tronwatch: energy-pool guardian and monitoring back office for a TRON USDT gateway."""

__version__ = "0.1.0"
