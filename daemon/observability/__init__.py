"""Observability the whole daemon shares: the per-operation profiler and its admin route."""
