"""Plain-language notification text in English and Korean, from a notification's payload.

With `slack=True` the text is Slack mrkdwn: every value is escaped, and annotations keep the
markup of the operator's own template (`annotations_mrkdwn`) where the evaluator rendered it.
"""

from __future__ import annotations

from typing import Any

from daemon.alerts.escape import mrkdwn

WORDS = {
    "en": {
        "firing": "FIRING",
        "resolved": "RESOLVED",
        "value": "value",
        "since": "since",
        "more": "more",
        "ack": "Acknowledge (stops repeats)",
        "acked": "acknowledged by {by} at {at}",
    },
    "ko": {
        "firing": "발생",
        "resolved": "해결됨",
        "value": "값",
        "since": "시작",
        "more": "건 더 있음",
        "ack": "확인 처리 (반복 알림 중지)",
        "acked": "{by} 님이 {at}에 확인함",
    },
}


def annotation(payload: dict[str, Any], key: str, language: str, *, slack: bool = False) -> str:
    """`key_ko` for Korean receivers when the rule has it, else `key`."""
    notes = payload.get("annotations") or {}
    chosen = f"{key}_{language}" if notes.get(f"{key}_{language}") else key
    text = str(notes.get(chosen) or "")
    if not slack:
        return text
    marked = payload.get("annotations_mrkdwn") or {}
    return str(marked[chosen]) if chosen in marked else mrkdwn(text)


def title(payload: dict[str, Any], language: str, *, slack: bool = False) -> str:
    """`[FIRING] EnergyUsageCritical pool=alpha (critical)`."""
    words = WORDS.get(language, WORDS["en"])
    labels = payload["labels"]
    scope = " ".join(f"{k}={labels[k]}" for k in ("pool", "partner") if k in labels)
    severity = f" ({labels['severity']})" if "severity" in labels else ""
    state = words[payload["status"]]
    if "alerts" in payload:  # a group, counted as Alertmanager's default title counts it
        state += f":{sum(1 for a in payload['alerts'] if a['status'] == payload['status'])}"
        name = labels.get("alertname") or " ".join(f"{k}={v}" for k, v in payload["groupLabels"].items())
    else:
        name = labels.get("alertname", "")
    text = f"[{state}] {name} {scope}".rstrip() + severity
    return mrkdwn(text) if slack else text


def members(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The alerts a notification lists: a group's members, else the one alert."""
    alerts: list[dict[str, Any]] = payload.get("alerts") or [payload]
    return alerts


def body(payload: dict[str, Any], language: str, *, slack: bool = False) -> str:
    """Summary, description and value, one per line."""
    words = WORDS.get(language, WORDS["en"])
    lines = [
        annotation(payload, "summary", language, slack=slack),
        annotation(payload, "description", language, slack=slack),
    ]
    if payload.get("value") is not None:
        lines.append(f"{words['value']}: {payload['value']:g}")
    lines.append(f"{words['since']}: {payload['startsAt']}")
    if payload.get("acknowledged_by"):
        acked = words["acked"].format(by=payload["acknowledged_by"], at=payload.get("acknowledged_at", ""))
        lines.append(acked + (f": {payload['ack_comment']}" if payload.get("ack_comment") else ""))
    if payload.get("ack_url"):
        lines.append(f"{words['ack']}: {payload['ack_url']}")
    return "\n".join(line for line in lines if line)
