"""Plain-language notification text in English and Korean, from a notification's payload."""

from __future__ import annotations

from typing import Any

WORDS = {
    "en": {"firing": "FIRING", "resolved": "RESOLVED", "value": "value", "since": "since", "more": "more"},
    "ko": {"firing": "발생", "resolved": "해결됨", "value": "값", "since": "시작", "more": "건 더 있음"},
}


def annotation(payload: dict[str, Any], key: str, language: str) -> str:
    """`key_ko` for Korean receivers when the rule has it, else `key`."""
    notes = payload.get("annotations") or {}
    return str(notes.get(f"{key}_{language}") or notes.get(key) or "")


def title(payload: dict[str, Any], language: str) -> str:
    """`[FIRING] EnergyUsageCritical pool=alpha (critical)`."""
    words = WORDS.get(language, WORDS["en"])
    labels = payload["labels"]
    scope = " ".join(f"{k}={labels[k]}" for k in ("pool", "partner") if k in labels)
    severity = f" ({labels['severity']})" if "severity" in labels else ""
    state = words[payload["status"]]
    if "alerts" in payload:  # a group, counted as Alertmanager's default title counts it
        state += f":{sum(1 for a in payload['alerts'] if a['status'] == payload['status'])}"
        name = labels.get("alertname") or " ".join(f"{k}={v}" for k, v in payload["groupLabels"].items())
        return f"[{state}] {name} {scope}".rstrip() + severity
    return f"[{state}] {labels.get('alertname', '')} {scope}".rstrip() + severity


def members(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The alerts a notification lists: a group's members, else the one alert."""
    alerts: list[dict[str, Any]] = payload.get("alerts") or [payload]
    return alerts


def body(payload: dict[str, Any], language: str) -> str:
    """Summary, description and value, one per line."""
    words = WORDS.get(language, WORDS["en"])
    lines = [annotation(payload, "summary", language), annotation(payload, "description", language)]
    if payload.get("value") is not None:
        lines.append(f"{words['value']}: {payload['value']:g}")
    lines.append(f"{words['since']}: {payload['startsAt']}")
    return "\n".join(line for line in lines if line)
