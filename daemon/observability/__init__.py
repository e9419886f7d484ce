"""Core observability: the per-app operation profiler (metrics registry wiring stays in daemon.metrics)."""
