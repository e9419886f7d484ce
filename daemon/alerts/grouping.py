"""Aggregation groups as Alertmanager keeps them: group_wait, group_interval, repeat_interval, durable."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from daemon.alerts.routing import RouteMatch
from daemon.alerts.timeintervals import Period, active

REASONS = {
    "first": "first notification",
    "added": "new alerts added",
    "resolved": "some alerts resolved",
    "all_resolved": "all alerts resolved",
    "repeat": "repeat interval elapsed",
}


@dataclass
class Member:
    """An alert in a group: its latest payload and what the group last told the receiver about it."""

    payload: dict[str, Any]
    repeat_s: float
    muted: bool = False
    notified: str | None = None  # "firing" once a notification listing it as firing was enqueued


@dataclass
class Group:
    """One (route, group labels, receiver) group; times are epoch seconds."""

    key: str
    receiver: str
    labels: dict[str, str]
    created_at: float
    next_flush: float
    wait: float
    interval: float
    repeat: float | None
    mute: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    last_sent_at: float | None = None
    seq: int = 0
    members: dict[str, Member] = field(default_factory=dict)
    dirty: bool = True

    @property
    def id(self) -> str:
        """A short stable id of the group (receiver + key)."""
        return group_id(self.receiver, self.key)

    def as_doc(self) -> dict[str, Any]:
        """The persisted form."""
        doc = asdict(self)
        doc.pop("dirty")
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Group:
        """Back from the database."""
        members = {fp: Member(**m) for fp, m in doc["members"].items()}
        return cls(**{**doc, "members": members, "dirty": False})


def group_id(receiver: str, key: str) -> str:
    """blake2b of receiver and group key, 16 hex digits."""
    return hashlib.blake2b(f"{receiver}\x00{key}".encode(), digest_size=8).hexdigest()


class Groups:
    """Every aggregation group; `flush` turns due groups into outbox rows."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self.removed: list[str] = []

    def restore(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Groups as persisted."""
        self.groups = {g.id: g for g in (Group.from_doc(d) for d in docs)}
        self.removed = []

    def fire(self, match: RouteMatch, fp: str, payload: dict[str, Any], repeat_s: float, now: float) -> None:
        """A firing alert joins (or refreshes itself in) the group of this route match."""
        node = match.node
        gid = group_id(node.receiver, match.group_key)
        group = self.groups.get(gid)
        if group is None:
            group = self.groups[gid] = Group(
                match.group_key, node.receiver, match.group_labels, now, now + node.group_wait,
                node.group_wait, node.group_interval, node.repeat_interval,
            )  # fmt: skip
            if gid in self.removed:
                self.removed.remove(gid)
        group.interval, group.repeat = node.group_interval, node.repeat_interval
        group.mute, group.active = list(node.mute), list(node.active)
        member = group.members.get(fp)
        if member is None:
            group.members[fp] = Member(payload, repeat_s)
        else:
            member.payload, member.repeat_s, member.muted = payload, repeat_s, False
        group.dirty = True

    def mute(self, fp: str) -> None:
        """A silence or inhibition now covers this alert: it leaves the groups' firing lists."""
        for group in self.groups.values():
            member = group.members.get(fp)
            if member is not None and not member.muted:
                member.muted, group.dirty = True, True

    def resolve(self, fp: str, payload: dict[str, Any], tell: bool) -> None:
        """The alert resolved; `tell` False drops it silently (muted and resolve_silenced off)."""
        for group in self.groups.values():
            member = group.members.get(fp)
            if member is None:
                continue
            if tell and member.notified == "firing":
                member.payload, member.muted = payload, False
            else:
                del group.members[fp]
            group.dirty = True

    def next_due(self) -> float | None:
        """The earliest flush time of any group."""
        return min((g.next_flush for g in self.groups.values()), default=None)

    def flush(
        self,
        now: float,
        intervals: Mapping[str, tuple[Period, ...]],
        send_resolved: Callable[[str], bool],
        acked: Callable[[str], bool],
    ) -> list[dict[str, Any]]:
        """Outbox rows for every group due at `now` whose content changed or whose repeat came."""
        rows: list[dict[str, Any]] = []
        for gid, group in list(self.groups.items()):
            if group.next_flush > now:
                continue
            group.next_flush, group.dirty = now + group.interval, True
            if _time_muted(group, intervals, datetime.fromtimestamp(now, UTC)):
                continue
            row = self._notify(group, now, send_resolved(group.receiver), acked)
            if row is not None:
                rows.append(row)
            if not group.members:
                del self.groups[gid]
                self.removed.append(gid)
        return rows

    def _notify(
        self, group: Group, now: float, send_resolved: bool, acked: Callable[[str], bool]
    ) -> dict[str, Any] | None:
        members = group.members
        firing = {fp: m for fp, m in members.items() if m.payload["status"] == "firing" and not m.muted}
        resolved = {fp: m for fp, m in members.items() if m.payload["status"] == "resolved"}
        added = any(m.notified != "firing" for m in firing.values())
        gone = bool(resolved)
        reason = None
        if group.last_sent_at is None and firing:
            reason = "first"
        elif added:
            reason = "added"
        elif gone and send_resolved:
            reason = "resolved" if firing else "all_resolved"
        else:
            repeat = group.repeat
            if repeat is None:
                repeat = min((m.repeat_s for m in firing.values()), default=0.0)
            if firing and group.last_sent_at is not None and now - group.last_sent_at >= repeat:
                firing = {fp: m for fp, m in firing.items() if not acked(fp)}
                reason = "repeat" if firing else None
        for fp in list(resolved):
            del members[fp]
        if reason is None:
            return None
        listed = [m.payload for m in firing.values()]
        if send_resolved:
            listed += [m.payload for m in resolved.values()]
        for m in firing.values():
            m.notified = "firing"
        group.last_sent_at = now
        group.seq += 1
        return _row(group, listed, reason, now)


def _time_muted(group: Group, intervals: Mapping[str, tuple[Period, ...]], when: datetime) -> bool:
    if any(active(intervals.get(n, ()), when) for n in group.mute):
        return True
    return bool(group.active) and not any(active(intervals.get(n, ()), when) for n in group.active)


def common(dicts: list[dict[str, str]]) -> dict[str, str]:
    """The key/value pairs every dict shares."""
    if not dicts:
        return {}
    return {k: v for k, v in dicts[0].items() if all(d.get(k) == v for d in dicts[1:])}


def _row(group: Group, alerts: list[dict[str, Any]], reason: str, now: float) -> dict[str, Any]:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    labels = common([a["labels"] for a in alerts])
    payload = {
        "groupKey": group.key,
        "groupLabels": group.labels,
        "status": status,
        "reason": reason,
        "labels": labels,
        "annotations": common([a["annotations"] for a in alerts]),
        "alerts": alerts,
        "startsAt": min(a["startsAt"] for a in alerts),
    }
    # created_at names the group's episode: a group that emptied and formed again restarts at seq 1.
    episode = round(group.created_at * 1_000_000)
    return {
        "notification_id": f"g{group.id}:{episode}:{group.seq}",
        "receiver": group.receiver,
        "alertname": labels.get("alertname") or group.labels.get("alertname") or "group",
        "fingerprint": group.id,
        "status": status,
        "payload": payload,
        "created_at": datetime.fromtimestamp(now, UTC),
    }
