"""Live monitoring: system collector, WebSocket hub and profiler."""
