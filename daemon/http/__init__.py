"""HTTP plumbing: endpoints, middlewares, auth, bodies, idempotency, OpenAPI."""
