"""Errors the TRON client raises."""

from __future__ import annotations

__all__ = ["TronApiError", "TronError", "TronUnavailable"]


class TronError(Exception):
    """Base class for TRON client failures."""


class TronUnavailable(TronError):
    """The node could not be reached or kept failing (transport, timeout, 5xx) after all retries."""


class TronApiError(TronError):
    """The node answered, but with an error (java-tron `{"Error": ...}`, HTTP 4xx, bad JSON, TVM revert)."""
