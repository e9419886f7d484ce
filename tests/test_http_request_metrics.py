"""The HTTP request metrics export what prometheus_client's own Histogram and Counter would."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest

from daemon.http.request_metrics import HttpRequestMetrics
from daemon.metrics import HTTP_BUCKETS

REQUESTS = [
    ("/healthz", "GET", 200, 0.0004),
    ("/api/v1/me", "GET", 200, 0.001),  # on a bucket bound: counted in that bucket
    ("/api/v1/me", "GET", 401, 0.03),
    ("/healthz", "GET", 200, 12.0),  # past the last bound: only +Inf
    ("/ws/monitoring", "GET", 101, 30.0),  # counted, not timed
]


def _created(text: bytes) -> str:
    return re.sub(r"(_created\{[^}]*\}) \S+", r"\1 T", text.decode())


def test_same_text_as_prometheus_client_in_both_formats() -> None:
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    labels = ["route", "method", "status"]
    duration = Histogram(
        "tronwatch_http_request_duration_seconds",
        "HTTP request duration by route template",
        labels,
        buckets=HTTP_BUCKETS,
        registry=theirs,
    )
    counter = Counter("tronwatch_http_requests", "HTTP requests by route template", labels, registry=theirs)
    http = HttpRequestMetrics(HTTP_BUCKETS)
    ours.register(http.duration)
    ours.register(http.requests)
    for route, method, status, seconds in REQUESTS:
        series = http.child(route, method, status)
        child = duration.labels(route, method, str(status))
        if status != 101:
            child.observe(seconds)
            http.observe(series, seconds)
        else:
            series.requests += 1
        counter.labels(route, method, str(status)).inc()
    assert _created(generate_latest(ours)) == _created(generate_latest(theirs))
    assert _created(openmetrics_latest(ours)) == _created(openmetrics_latest(theirs))
    assert (
        ours.get_sample_value(
            "tronwatch_http_request_duration_seconds_bucket",
            {"route": "/api/v1/me", "method": "GET", "status": "200", "le": "0.001"},
        )
        == 1.0
    )


def test_name_filters_find_the_families() -> None:
    registry = CollectorRegistry()
    http = HttpRequestMetrics(HTTP_BUCKETS)
    registry.register(http.duration)
    registry.register(http.requests)
    http.child("/healthz", "GET", 200).requests += 1
    text = generate_latest(registry.restricted_registry(["tronwatch_http_requests_total"])).decode()
    assert 'tronwatch_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert "duration" not in text


def test_created_series_follow_prometheus_clients_switch() -> None:
    from prometheus_client import disable_created_metrics, enable_created_metrics

    registry = CollectorRegistry()
    http = HttpRequestMetrics(HTTP_BUCKETS)
    registry.register(http.requests)
    http.child("/healthz", "GET", 200).requests += 1
    disable_created_metrics()
    try:
        assert "_created" not in generate_latest(registry).decode()
    finally:
        enable_created_metrics()
    assert "tronwatch_http_requests_created{" in generate_latest(registry).decode()
