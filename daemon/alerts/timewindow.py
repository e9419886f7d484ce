"""The start and end of a silence or maintenance window, from what an admin sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from daemon.errors import ValidationFailed

MAX_SPAN = timedelta(days=366)


def window(
    starts_at: datetime | None,
    ends_at: datetime | None,
    duration_seconds: float | None,
    now: datetime,
    what: str,
) -> tuple[datetime, datetime]:
    """(starts, ends): start now unless given, exactly one of an end or a duration, at most a year away."""
    if (ends_at is None) == (duration_seconds is None):
        raise ValidationFailed("give exactly one of ends_at and duration_seconds", field="ends_at")
    starts = starts_at or now
    ends = ends_at or starts + timedelta(seconds=duration_seconds or 0)
    if ends <= starts or ends <= now:
        raise ValidationFailed("ends_at must be after starts_at and in the future", field="ends_at")
    if starts - now > MAX_SPAN or ends - starts > MAX_SPAN:
        raise ValidationFailed(f"{what} may start and last at most a year", field="ends_at")
    return starts, ends
