"""The `alerts:` config section: rule files, receivers, inhibitions and delivery tuning."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator

from daemon.alerts.identity import default_domain
from daemon.alerts.matchers import Matcher, MatcherError, from_config
from daemon.alerts.routing import Node, RouteConfig, compile_tree
from daemon.alerts.timeintervals import IntervalError, Period, parse_intervals

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "rules"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Receiver(_Section):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    send_resolved: bool = True
    language: Literal["en", "ko"] = "en"
    allow_private: bool = Field(False, description="let the URL point at loopback/private addresses")
    timeout: float = Field(10.0, gt=0, le=120)


class SlackReceiver(_Receiver):
    """A Slack incoming webhook (Block Kit + text fallback)."""

    type: Literal["slack"]
    url: SecretStr
    rate_per_second: float = Field(1.0, gt=0, description="Slack allows about one message a second")
    burst: int = Field(3, ge=1)


class WebhookReceiver(_Receiver):
    """Alertmanager webhook v4 JSON, signed per Standard Webhooks when a secret is set."""

    type: Literal["webhook"]
    url: SecretStr
    secret: SecretStr | None = Field(None, description="whsec_<base64>; signs webhook-signature")
    max_alerts: int = Field(0, ge=0, description="alerts listed per grouped notification (0: all)")
    rate_per_second: float = Field(20.0, gt=0)
    burst: int = Field(20, ge=1)


def secret_problem(secret: str) -> str | None:
    """Why a webhook secret cannot sign (None when it can): `whsec_` must be followed by base64."""
    if not secret.startswith("whsec_"):
        return None if secret else "must not be empty"
    try:
        key = base64.b64decode(secret[len("whsec_") :], validate=True)
    except (binascii.Error, ValueError):
        return "whsec_ must be followed by base64 (as Standard Webhooks secrets are)"
    return None if key else "whsec_ must be followed by a non-empty key"


class AlertmanagerReceiver(_Receiver):
    """A real Alertmanager: POST {url}/api/v2/alerts."""

    type: Literal["alertmanager"]
    url: SecretStr
    rate_per_second: float = Field(20.0, gt=0)
    burst: int = Field(20, ge=1)


class EmailReceiver(_Receiver):
    """SMTP via aiosmtplib: STARTTLS (587) or implicit TLS (465); plain text + HTML."""

    type: Literal["email"]
    send_resolved: bool = False
    smarthost: str = Field(min_length=1, description="host:port")
    sender: str = Field(alias="from", min_length=3)
    to: list[str] = Field(min_length=1)
    username: str | None = None
    password: SecretStr | None = None
    tls: Literal["starttls", "implicit", "none"] = "starttls"
    allow_plaintext_auth: bool = Field(False, description="send the password even with tls: none")
    validate_certs: bool = True
    ca_file: str | None = None
    rate_per_second: float = Field(5.0, gt=0)
    burst: int = Field(5, ge=1)

    @model_validator(mode="after")
    def _no_plaintext_password(self) -> EmailReceiver:
        if self.password is not None and self.tls == "none" and not self.allow_plaintext_auth:
            raise ValueError(
                "password: would be sent unencrypted with tls: none "
                "(use starttls/implicit, or set allow_plaintext_auth: true)"
            )
        return self


class AppriseReceiver(_Receiver):
    """Apprise service URLs (tgram://, discord://, msteams://, pagerduty://, jsons://, ...): plain text."""

    type: Literal["apprise"]
    urls: list[SecretStr] = Field(min_length=1, max_length=20, description="Apprise URLs (secret)")
    rate_per_second: float = Field(1.0, gt=0, description="chat services allow about one message a second")
    burst: int = Field(3, ge=1)


class LogReceiver(_Receiver):
    """Writes notifications to the log (demo mode)."""

    type: Literal["log"]
    rate_per_second: float = Field(1000.0, gt=0)
    burst: int = Field(1000, ge=1)


Receiver = Annotated[
    SlackReceiver | WebhookReceiver | AlertmanagerReceiver | EmailReceiver | AppriseReceiver | LogReceiver,
    Field(discriminator="type"),
]


class Inhibition(_Section):
    """A firing source alert mutes target alerts sharing the `equal` labels (matchers, or equality dicts)."""

    source: dict[str, str] = {}
    target: dict[str, str] = {}
    source_matchers: list[str] = []
    target_matchers: list[str] = []
    equal: list[str] = []
    _src: list[Matcher] = PrivateAttr(default_factory=list)
    _dst: list[Matcher] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _compile(self) -> Inhibition:
        try:
            self._src = from_config(self.source) + from_config(self.source_matchers)
            self._dst = from_config(self.target) + from_config(self.target_matchers)
        except MatcherError as exc:
            raise ValueError(str(exc)) from None
        if not self._src or not self._dst:
            raise ValueError(
                "an inhibit rule needs source_matchers (or source) and target_matchers (or target)"
            )
        return self

    def sources(self) -> list[Matcher]:
        """What a muting alert matches."""
        return self._src

    def targets(self) -> list[Matcher]:
        """What a muted alert matches."""
        return self._dst


def _default_inhibitions() -> list[Inhibition]:
    # The seed's ladder: a higher severity of the same alert family on the same pool mutes the lower one.
    ladder = (("emergency", "critical"), ("emergency", "warning"), ("critical", "warning"))
    return [
        Inhibition(source={"severity": hi}, target={"severity": lo}, equal=["family", "pool"])
        for hi, lo in ladder
    ]


def _log_receiver() -> Receiver:
    return LogReceiver(type="log", name="log")


class AlertsSettings(_Section):
    """Alert rules and notification delivery."""

    rule_files: list[Path] = Field(default_factory=lambda: [DEFAULT_RULES])
    evaluation_interval: float = Field(30.0, gt=0, le=3600, description="default group interval, seconds")
    resend_delay: float = Field(
        60.0, ge=0, description="firing alerts are re-sent to alertmanager receivers this often"
    )
    default_receivers: list[str] = Field(default_factory=lambda: ["log"])
    receivers: list[Receiver] = Field(default_factory=lambda: [_log_receiver()])
    inhibit_rules: list[Inhibition] = Field(default_factory=_default_inhibitions)
    external_url: str = "http://localhost:8080"
    generator_url: str | None = Field(
        None,
        description="each alert's link: {alertname}, {fingerprint}, {external_url} are filled in "
        "(default: the public status page)",
    )
    mail_domain: str | None = Field(
        None, description="Message-ID domain (default: external_url's host, else this machine's name)"
    )
    history_days: float = Field(30.0, gt=0, description="sent/failed notifications kept this long")
    sender_batch: int = Field(50, ge=1, le=1000)
    sender_concurrency: int = Field(8, ge=1, le=256)
    sender_idle: float = Field(1.0, gt=0, description="seconds between outbox polls when idle")
    claim_seconds: float = Field(
        60.0, gt=0, description="a claimed row is retried after this if its sender died"
    )
    max_attempts: int = Field(50, ge=1)
    backoff_base: float = Field(1.0, gt=0)
    backoff_max: float = Field(600.0, gt=0)
    retry_after_max: float = Field(900.0, gt=0, description="cap on a receiver's Retry-After")
    ack_link_secret: SecretStr | None = Field(
        None, description="signs one-click acknowledge links in notifications (none: no links)"
    )
    ack_link_ttl: float = Field(86400.0, gt=0, le=30 * 86400, description="seconds an ack link stays valid")
    route: RouteConfig | None = Field(
        None, description="Alertmanager's routing tree; rules without receivers: go through it, grouped"
    )
    time_intervals: list[dict[str, Any]] = Field(default_factory=list)
    resolve_silenced: bool = Field(
        True, description="send the resolve of an alert whose firing was notified, even if silenced since"
    )
    _tree: Node | None = PrivateAttr(None)
    _intervals: dict[str, tuple[Period, ...]] = PrivateAttr(default_factory=dict)

    @field_validator("receivers")
    @classmethod
    def _unique(cls, value: list[Receiver]) -> list[Receiver]:
        names = [r.name for r in value]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"receiver names must be unique: {', '.join(sorted(dup))}")
        return value

    @model_validator(mode="after")
    def _defaults_exist(self) -> AlertsSettings:
        # Listing `receivers` replaces the built-in `log` one: a default naming it would stop every start.
        known = {r.name for r in self.receivers}
        unknown = [n for n in self.default_receivers if n not in known]
        if unknown:
            have = ", ".join(sorted(known))
            raise ValueError(
                f"default_receivers: unknown receiver {unknown[0]!r} (receivers has: {have}; "
                "listing receivers replaces the built-in log one)"
            )
        return self

    @model_validator(mode="after")
    def _routing(self) -> AlertsSettings:
        try:
            self._intervals = parse_intervals(self.time_intervals)
        except IntervalError as exc:
            raise ValueError(str(exc)) from None
        if self.route is not None:
            self._tree = compile_tree(self.route, self._intervals, {r.name for r in self.receivers})
        return self

    def tree(self) -> Node | None:
        """The routing tree (None: no `route`, rules go to their receivers as before)."""
        return self._tree

    def intervals(self) -> dict[str, tuple[Period, ...]]:
        """Named time intervals."""
        return self._intervals

    def message_domain(self) -> str:
        """The domain of Message-IDs."""
        return self.mail_domain or default_domain(self.external_url)

    def receiver(self, name: str) -> Receiver | None:
        """The receiver called `name`."""
        return next((r for r in self.receivers if r.name == name), None)
