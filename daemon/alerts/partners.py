"""Partner receivers: a `notify_partner` rule also tells the partner whose instance it is, by its webhook."""

from __future__ import annotations

from typing import Any

PARTNER_RECEIVER = "partner:"  # + id: the partner's own webhook, resolved when the Sender delivers


def partner_receivers(notify: bool, labels: dict[str, str], env: Any) -> list[str]:
    """The partner's own receiver for a `notify_partner` rule, when that partner has a webhook."""
    values = env.get("partner") if notify else None
    if not values or not values.get("webhook") or "partner_id" not in labels:
        return []
    return [PARTNER_RECEIVER + labels["partner_id"]]
