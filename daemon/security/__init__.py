"""Security monitor: request scan, security events, failed-auth blocks, rate limits and their middlewares."""
