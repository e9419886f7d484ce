"""Security: the request scan, security events, failed auth and rate limits (their middlewares and routes)."""
