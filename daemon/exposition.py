"""/metrics text: prometheus_client's encoders, with collectors that render their own text spliced in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, cast, runtime_checkable

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric, StateSetMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.openmetrics.exposition import ALLOWUTF8, UNDERSCORES
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

EOF = b"# EOF\n"
# Names every escaping scheme below leaves as they are (no colon: OpenMetrics sample names drop it).
_PLAIN_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_FAST_ESCAPINGS = (UNDERSCORES, ALLOWUTF8)
_go_float: Callable[[float], str] = floatToGoString


@dataclass(frozen=True)
class Format:
    """One negotiated exposition format: the encoder prometheus_client chose for the Accept header."""

    content_type: str
    openmetrics: bool
    escaping: str
    encoder: Callable[[Collector], bytes] = field(compare=False, repr=False)

    @property
    def key(self) -> tuple[bool, str]:
        """What a gauge's text depends on (the version only changes native histograms), a bounded set."""
        return self.openmetrics, self.escaping

    def encode(self, metrics: Iterable[Metric]) -> bytes:
        """prometheus_client's own text for `metrics`, without the OpenMetrics `# EOF` line."""
        out = self.encoder(_Static(list(metrics)))
        return out[: -len(EOF)] if self.openmetrics and out.endswith(EOF) else out


def negotiate(accept: str) -> Format:
    """The format prometheus_client serves for this Accept header."""
    encoder, content_type = choose_encoder(accept)
    params = dict(p.strip().partition("=")[::2] for p in content_type.split(";")[1:])
    return Format(
        content_type=content_type,
        openmetrics=content_type.startswith("application/openmetrics-text"),
        escaping=params.get("escaping", UNDERSCORES),
        encoder=encoder,
    )


@dataclass(frozen=True, slots=True)
class Family:
    """A gauge or state set as plain rows: cheaper to build and to render than a Metric with Samples."""

    name: str
    documentation: str
    kind: Literal["gauge", "stateset"]
    labels: tuple[str, ...]
    rows: list[tuple[tuple[str, ...], float]]

    def to_metric(self) -> Metric:
        """The prometheus_client family with the same samples (for readers of the registry)."""
        if self.kind == "stateset":
            states = StateSetMetricFamily(self.name, self.documentation, labels=[])
            for (state,), value in self.rows:
                states.add_metric([], {state: bool(value)})
            return states
        gauge = GaugeMetricFamily(self.name, self.documentation, labels=list(self.labels))
        for values, value in self.rows:
            gauge.add_metric(list(values), value)
        return gauge

    def plain(self) -> bool:
        """True when no escaping scheme changes this family's metric or label names."""
        return _PLAIN_NAME.match(self.name) is not None and all(_PLAIN_NAME.match(n) for n in self.labels)


def gauge(name: str, documentation: str, value: float | None = None, labels: Sequence[str] = ()) -> Family:
    """A family to fill with `rows.append(((label values...), value))`; `value` makes one unlabelled row."""
    return Family(name, documentation, "gauge", tuple(labels), [] if value is None else [((), value)])


def stateset(name: str, documentation: str, states: dict[str, bool]) -> Family:
    """One sample per state, 1 for the true ones, in prometheus_client's (sorted) order."""
    rows: list[tuple[tuple[str, ...], float]] = [
        ((state,), 1.0 if on else 0.0) for state, on in sorted(states.items())
    ]
    return Family(name, documentation, "stateset", (name,), rows)


def render(families: Iterable[Family], fmt: Format) -> bytes:
    """Exactly what `fmt.encode` would make of these families (no `# EOF`), many times faster."""
    families = list(families)
    if fmt.escaping not in _FAST_ESCAPINGS or not all(f.plain() for f in families):
        return fmt.encode(f.to_metric() for f in families)
    out: list[str] = []
    # Pools repeat across families, and values too (aliases, 0, 1, +Inf): each is formatted once.
    pairs: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
    numbers: dict[float, str] = {}
    for f in families:
        doc = f.documentation.replace("\\", r"\\").replace("\n", r"\n")
        if fmt.openmetrics:
            doc = doc.replace('"', r"\"")
        kind = f.kind if fmt.openmetrics else "gauge"
        out.append(f"# HELP {f.name} {doc}\n# TYPE {f.name} {kind}\n")
        if not f.labels:
            out.extend(f"{f.name} {_number(value, numbers)}\n" for _, value in f.rows)
            continue
        order = sorted(range(len(f.labels)), key=f.labels.__getitem__)
        for values, value in f.rows:
            labels = pairs.get((f.labels, values))
            if labels is None:
                labels = pairs[f.labels, values] = ",".join(
                    f'{f.labels[i]}="{_escape(values[i])}"' for i in order
                )
            out.append(f"{f.name}{{{labels}}} {_number(value, numbers)}\n")
    return "".join(out).encode("utf-8")


def _number(value: float, numbers: dict[float, str]) -> str:
    if not value:  # 0.0 and -0.0 are one key but two texts
        return _go_float(value)
    number = numbers.get(value)
    if number is None:
        number = numbers[value] = _go_float(value)
    return number


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


@runtime_checkable
class Prerendered(Protocol):
    """A collector that renders its own exposition text (e.g. cached between data updates)."""

    def exposition(self, fmt: Format) -> bytes:
        """Its families' text in `fmt`, byte for byte what prometheus_client makes of its collect()."""
        ...


def generate(registry: CollectorRegistry, fmt: Format) -> bytes:
    """The registry's exposition in `fmt`, as prometheus_client's encoder would write it."""
    parts: list[bytes] = []
    pending: list[Metric] = []
    for collector in _collectors(registry):
        if isinstance(collector, Prerendered):
            if pending:
                parts.append(fmt.encode(pending))
                pending = []
            parts.append(collector.exposition(fmt))
        else:
            pending.extend(collector.collect())
    if pending:
        parts.append(fmt.encode(pending))
    if fmt.openmetrics:
        parts.append(EOF)
    return b"".join(parts)


def _collectors(registry: CollectorRegistry) -> list[Collector]:
    """The registry's collectors in the order its collect() walks them."""
    # CollectorRegistry has no public way to walk its collectors; this mirrors its collect().
    with registry._lock:
        collectors = list(registry._collector_to_names)
        target_info = (
            cast(Callable[[], Metric], registry._target_info_metric)() if registry._target_info else None
        )
    return ([_Static([target_info])] if target_info is not None else []) + collectors


class _Static(Collector):
    """Already collected families, for an encoder that wants a collector."""

    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> list[Metric]:
        """The families given."""
        return self._metrics
