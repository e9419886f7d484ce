"""Alertmanager `time_intervals`: named recurring windows used to mute or activate routes."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = {d: (i + 1) % 7 for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"))}
WEEKDAYS |= {"saturday": 6, "sunday": 0}  # Go's time.Weekday numbering, Sunday = 0
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}


class IntervalError(ValueError):
    """A time interval that does not parse."""


Range = tuple[int, int]


@dataclass(frozen=True)
class Period:
    """One `time_intervals` entry; an empty field matches everything."""

    times: tuple[Range, ...] = ()  # minutes of the day, [start, end)
    weekdays: tuple[Range, ...] = ()
    days_of_month: tuple[Range, ...] = ()
    months: tuple[Range, ...] = ()
    years: tuple[Range, ...] = ()
    location: ZoneInfo | None = None

    def contains(self, when: datetime) -> bool:
        """Whether `when` (timezone-aware) falls in this period, read in its location."""
        t = when.astimezone(self.location) if self.location is not None else when
        if self.times and not any(a <= t.hour * 60 + t.minute < b for a, b in self.times):
            return False
        if self.weekdays and not _in(self.weekdays, (t.weekday() + 1) % 7):
            return False
        if self.days_of_month and not self._day_ok(t):
            return False
        if self.months and not _in(self.months, t.month):
            return False
        return not self.years or _in(self.years, t.year)

    def _day_ok(self, t: datetime) -> bool:
        days = calendar.monthrange(t.year, t.month)[1]
        for a, b in self.days_of_month:
            begin = days + a + 1 if a < 0 else a
            end = days + b + 1 if b < 0 else b
            if begin > days:
                continue  # e.g. day 31 in a 30-day month: Alertmanager skips, never clamps into the next
            if max(begin, -days) <= t.day <= min(end, days):
                return True
        return False


def _in(ranges: Iterable[Range], value: int) -> bool:
    return any(a <= value <= b for a, b in ranges)


def _clock(text: str, *, end: bool) -> int:
    hh, sep, mm = str(text).partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise IntervalError(f"time {text!r}: expected HH:MM")
    minutes = int(hh) * 60 + int(mm)
    if int(mm) > 59 or minutes > 24 * 60 or (minutes == 24 * 60 and not end):
        raise IntervalError(f"time {text!r} out of range")
    return minutes


def _ranges(values: Any, what: str, parse: Any, low: int, high: int) -> tuple[Range, ...]:
    out = []
    for item in values or ():
        a_text, sep, b_text = str(item).partition(":")
        a = parse(a_text.strip())
        b = parse(b_text.strip()) if sep else a
        for v in (a, b):
            if not low <= v <= high or (what == "days_of_month" and v == 0):
                raise IntervalError(f"{what}: {item!r} out of range")
        if (a < 0) != (b < 0) and what == "days_of_month":
            if a < 0:
                raise IntervalError(f"{what}: {item!r}: a negative start needs a negative end")
        elif a > b:
            raise IntervalError(f"{what}: {item!r}: start after end")
        out.append((a, b))
    return tuple(out)


def _named(table: Mapping[str, int], what: str) -> Any:
    def parse(text: str) -> int:
        key = text.lower()
        if key in table:
            return table[key]
        if what == "months" and key.isdigit():
            return int(key)
        raise IntervalError(f"{what}: unknown {text!r}")

    return parse


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise IntervalError(f"not a number: {text!r}") from None


def parse_period(doc: Mapping[str, Any]) -> Period:
    """One entry of a named interval's `time_intervals` list."""
    unknown = set(doc) - {"times", "weekdays", "days_of_month", "months", "years", "location"}
    if unknown:
        raise IntervalError(f"unknown field {sorted(unknown)[0]!r}")
    times = []
    for t in doc.get("times") or ():
        if not isinstance(t, Mapping) or set(t) != {"start_time", "end_time"}:
            raise IntervalError("times: each entry needs start_time and end_time")
        a, b = _clock(t["start_time"], end=False), _clock(t["end_time"], end=True)
        if a >= b:
            raise IntervalError(f"times: start_time {t['start_time']} must be before end_time")
        times.append((a, b))
    location = None
    if doc.get("location") not in (None, "UTC"):
        try:
            location = ZoneInfo(str(doc["location"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise IntervalError(f"location: unknown time zone {doc['location']!r}") from None
    return Period(
        times=tuple(times),
        weekdays=_ranges(doc.get("weekdays"), "weekdays", _named(WEEKDAYS, "weekdays"), 0, 6),
        days_of_month=_ranges(doc.get("days_of_month"), "days_of_month", _int, -31, 31),
        months=_ranges(doc.get("months"), "months", _named(MONTHS, "months"), 1, 12),
        years=_ranges(doc.get("years"), "years", _int, 1, 9999),
        location=location,
    )


def parse_intervals(docs: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Period, ...]]:
    """`alerts.time_intervals`: name -> its periods (a time in any of them is in the interval)."""
    out: dict[str, tuple[Period, ...]] = {}
    for doc in docs:
        name = doc.get("name")
        if not isinstance(name, str) or not name:
            raise IntervalError("time_intervals: each entry needs a name")
        if name in out:
            raise IntervalError(f"time_intervals: {name!r} defined twice")
        try:
            out[name] = tuple(parse_period(p) for p in doc.get("time_intervals") or ())
        except IntervalError as exc:
            raise IntervalError(f"time_intervals: {name}: {exc}") from None
    return out


def active(periods: Iterable[Period], when: datetime) -> bool:
    """Whether `when` is inside any of these periods."""
    return any(p.contains(when) for p in periods)
