"""Core observability: the per-app operation profiler, and reading the value of a metric object."""
