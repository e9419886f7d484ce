"""Live monitoring: system collector, WebSocket hub, profiler, security monitor and rate limits."""
