"""Alertmanager time_intervals: times, weekdays, days of month (negative), months, years, location."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from daemon.alerts.timeintervals import IntervalError, active, parse_intervals


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_office_hours_in_a_time_zone() -> None:
    (periods,) = parse_intervals(
        [
            {
                "name": "office",
                "time_intervals": [
                    {
                        "times": [{"start_time": "09:00", "end_time": "17:00"}],
                        "weekdays": ["monday:friday"],
                        "location": "Asia/Seoul",
                    }
                ],
            }
        ]
    ).values()
    assert active(periods, at(2026, 11, 24, 0, 0))  # Tuesday 09:00 in Seoul
    assert not active(periods, at(2026, 11, 23, 23, 59))  # 08:59 in Seoul
    assert not active(periods, at(2026, 11, 24, 8, 0))  # 17:00 in Seoul: the end is exclusive
    assert not active(periods, at(2026, 11, 28, 1, 0))  # Saturday


def test_negative_days_of_month_count_from_the_end() -> None:
    (periods,) = parse_intervals(
        [{"name": "eom", "time_intervals": [{"days_of_month": ["-3:-1"], "months": ["february", "12"]}]}]
    ).values()
    assert active(periods, at(2026, 2, 26, 12, 0)) and active(periods, at(2026, 2, 28, 23, 0))
    assert not active(periods, at(2026, 2, 25, 12, 0))
    assert active(periods, at(2026, 12, 29, 0, 0)) and not active(periods, at(2026, 11, 30, 0, 0))


def test_years_and_end_of_day() -> None:
    (periods,) = parse_intervals(
        [
            {
                "name": "n",
                "time_intervals": [
                    {"times": [{"start_time": "22:00", "end_time": "24:00"}], "years": ["2026"]}
                ],
            }
        ]
    ).values()
    assert active(periods, at(2026, 5, 1, 23, 59)) and not active(periods, at(2027, 5, 1, 23, 0))


@pytest.mark.parametrize(
    "period",
    [
        {"times": [{"start_time": "10:00", "end_time": "09:00"}]},
        {"times": [{"start_time": "25:00", "end_time": "26:00"}]},
        {"weekdays": ["funday"]},
        {"weekdays": ["friday:monday"]},
        {"days_of_month": ["0"]},
        {"days_of_month": ["-1:5"]},
        {"months": ["13"]},
        {"location": "Mars/Olympus"},
        {"hours": ["1"]},
    ],
)
def test_bad_intervals_are_refused(period: dict[str, object]) -> None:
    with pytest.raises(IntervalError):
        parse_intervals([{"name": "x", "time_intervals": [period]}])
