"""One YAML file + TRONWATCH_* env overrides -> validated, frozen settings."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import platformdirs
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from daemon.alerts.settings import AlertsSettings
from daemon.autopilot.costs_settings import CostSettings
from daemon.autopilot.forecast_settings import ForecastSettings
from daemon.autopilot.settings import AutopilotSettings
from daemon.config_hints import suggestion
from daemon.demo.settings import DemoSettings
from daemon.monitoring.settings import MonitoringSettings
from daemon.observability.profiler import ProfilerSettings
from daemon.security.settings import SecuritySettings
from daemon.support.settings import SupportSettings
from daemon.web.settings import StatusPageSettings
from daemon.withdrawals.settings import WithdrawalSettings

ENV_PREFIX = "TRONWATCH_"
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SECRET_KEY_RE = re.compile(r"password|passwd|secret|token|credential|api_?keys?$|private_?key", re.I)
_SECRET_QUERY_RE = re.compile(r"([?&][^=&#]*(?:key|token|secret|password|passwd|sig)[^=&#]*=)[^&#]*", re.I)
MASK = "***"


class ConfigError(Exception):
    """A configuration problem: one human-readable line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    """Where the HTTP API listens."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    metrics_public: bool = True
    shutdown_timeout: float = Field(5.0, gt=0, le=60)
    max_body_bytes: int = Field(1024 * 1024, gt=0)
    header_timeout: float = Field(
        15.0,
        gt=0,
        le=600,
        description="seconds a request's headers may take to arrive; then the connection closes",
    )


class DatabaseSettings(_Section):
    """PostgreSQL: an URL, or none for the embedded server under the data directory."""

    url: str | None = None
    run_migrations: bool = True
    pool_min: int = Field(1, ge=0)
    pool_max: int = Field(10, ge=1)
    connect_timeout: float = Field(5.0, gt=0)

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value


def _base58check(value: str) -> str:
    """A base58check TRON address (T...), else ValueError."""
    from tronpy.keys import is_base58check_address

    try:
        ok = is_base58check_address(value)
    except (ValueError, IndexError):  # bad checksum or alphabet; empty string
        ok = False
    if not ok:
        raise ValueError("must be a base58check TRON address (T...)")
    return value


class TronSettings(_Section):
    """Which TRON network to watch."""

    network: str = "none"
    # validate_default: `shasta` without it must fail at load, and `network` is validated first.
    usdt_contract: str | None = Field(None, validate_default=True)
    # None: TronGrid's own host for mainnet/nile/shasta; for a node URL, port 8090 -> 8091, else the URL.
    solidity_url: str | None = None
    api_keys: tuple[str, ...] = ()
    timeout: float = Field(5.0, gt=0)
    requests_per_second: float = Field(10.0, gt=0)
    health_interval: float = Field(15.0, gt=0)
    devnode_speed: float = Field(1.0, ge=0)
    devnode_traffic_per_hour: float = Field(4.0, ge=0)

    @field_validator("network")
    @classmethod
    def _known_network(cls, value: str) -> str:
        if value in ("none", "devnode", "mainnet", "nile", "shasta") or value.startswith(
            ("http://", "https://")
        ):
            return value
        raise ValueError("must be none, devnode, mainnet, nile, shasta or an http(s) URL")

    @field_validator("usdt_contract")
    @classmethod
    def _usdt_contract(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value:
            return _base58check(value)
        # `network` is absent from info.data when it was itself invalid (already reported).
        if info.data.get("network") == "shasta":
            raise ValueError("required for network shasta, which has no canonical USDT contract")
        return None  # `${VAR:-}` left empty means unset

    @field_validator("solidity_url")
    @classmethod
    def _solidity_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None  # `${VAR:-}` left empty means unset
        if info.data.get("network") in ("none", "devnode"):
            raise ValueError("only for network mainnet, nile, shasta or a node URL")
        from daemon.tron.options import base_url

        base_url(value)  # ValueError names what is wrong
        return value


class AuthSettings(_Section):
    """API key checking."""

    key_cache_seconds: float = Field(5.0, ge=0, le=60)


class JobSettings(_Section):
    """Background jobs and their leader lease."""

    lease_interval: float = Field(5.0, gt=0)
    idempotency_ttl_hours: float = Field(24.0, gt=0)


class EnergyPoolSettings(_Section):
    """An energy pool declared in the config file (managed here, read-only over the API)."""

    name: str = Field(min_length=1, max_length=100)
    wallet_address: str
    target_trx: Decimal = Field(Decimal(0), ge=0, le=Decimal(10) ** 11, decimal_places=6)
    enabled: bool = True

    @field_validator("wallet_address")
    @classmethod
    def _address(cls, value: str) -> str:
        return _base58check(value)


class EnergySettings(_Section):
    """Energy pools: scraping, thresholds, the status API and snapshot retention."""

    scrape_interval: float = Field(15.0, gt=0)
    chain_params_interval: float = Field(300.0, gt=0)
    # Delegation records are re-read this often, or at once when a pool's delegated balances change.
    delegation_interval: float = Field(300.0, gt=0)
    concurrency: int = Field(16, ge=1, le=256)
    pool_timeout: float = Field(10.0, gt=0)
    backoff_max: float = Field(300.0, gt=0)
    warning: float = Field(0.90, gt=0, le=1)
    critical: float = Field(0.95, gt=0, le=1)
    emergency: float = Field(0.98, gt=0, le=1)
    transfer_energy: int = Field(130_285, ge=1)
    reserve_energy: int = Field(0, ge=0)
    history_interval: float = Field(60.0, gt=0)
    retention_days: float = Field(8.0, gt=0)
    pools: tuple[EnergyPoolSettings, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> EnergySettings:
        if not self.warning <= self.critical <= self.emergency:
            raise ValueError("thresholds must satisfy warning <= critical <= emergency")
        return self


class LoggingSettings(_Section):
    """Log level and format."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["logfmt", "json"] = "logfmt"


class Settings(_Section):
    """Everything tronwatch reads from its config file."""

    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    tron: TronSettings = TronSettings()
    auth: AuthSettings = AuthSettings()
    jobs: JobSettings = JobSettings()
    energy: EnergySettings = EnergySettings()
    support: SupportSettings = SupportSettings()
    withdrawals: WithdrawalSettings = WithdrawalSettings()
    forecast: ForecastSettings = ForecastSettings()
    costs: CostSettings = CostSettings()
    autopilot: AutopilotSettings = AutopilotSettings()
    status_page: StatusPageSettings = StatusPageSettings()
    demo_scenario: DemoSettings = DemoSettings()
    alerts: AlertsSettings = AlertsSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    security: SecuritySettings = SecuritySettings()
    profiler: ProfilerSettings = ProfilerSettings()
    logging: LoggingSettings = LoggingSettings()
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("tronwatch")))

    @property
    def demo(self) -> bool:
        """True when no database URL is configured: embedded PostgreSQL, demo keys."""
        return self.database.url is None

    @model_validator(mode="after")
    def _known_receivers(self) -> Settings:
        self.support.check_receivers({r.name for r in self.alerts.receivers})
        return self


def _substitute(value: Any, where: str, env: dict[str, str], problems: list[str], source: str) -> Any:
    """Replace ${VAR} and ${VAR:-default} in every string of the tree."""
    if isinstance(value, dict):
        return {
            k: _substitute(v, f"{where}.{k}" if where else str(k), env, problems, source)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_substitute(v, f"{where}[{i}]", env, problems, source) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(f"{source}: {where}: environment variable {name} is not set")
        return ""

    return _VAR_RE.sub(replace, value)


def _top_level_keys() -> set[str]:
    """Top-level keys that are plain values rather than sections (data_dir)."""
    return {
        name
        for name, field in Settings.model_fields.items()
        if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel))
    }


def _env_overrides(data: dict[str, Any], environ: dict[str, str]) -> dict[tuple[str, ...], str]:
    """Apply TRONWATCH_SECTION__KEY=value (double underscore nests) and TRONWATCH_<TOP_LEVEL_KEY>.

    Returns which key path each variable set, so problems name the variable, not the file.
    """
    origins: dict[tuple[str, ...], str] = {}
    top_level = _top_level_keys()
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        # Without `__` only known top-level keys: other TRONWATCH_* names are ${VAR} secrets and the like.
        if len(path) == 1 and path[0] not in top_level:
            continue
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = yaml.safe_load(raw) if raw else raw
        origins[tuple(path)] = f"environment variable {name}"
    return origins


def _format_errors(
    exc: ValidationError, source: str, origins: dict[tuple[str, ...], str] | None = None
) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(loc) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key" + suggestion(Settings, loc)
        where = next((o for path, o in (origins or {}).items() if loc[: len(path)] == path), source)
        lines.append(f"{where}: {key}: {msg}")
    return lines


def load_settings(
    path: Path | None = None,
    *,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Read, substitute, override and validate; raise ConfigError listing every problem."""
    env = dict(os.environ if environ is None else environ)
    source = str(path) if path else "(defaults)"
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError([f"{source}: cannot read: {exc.strerror}"]) from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f"line {mark.line + 1}" if mark else "(parse)"
            raise ConfigError([f"{source}: {at}: invalid YAML: {getattr(exc, 'problem', exc)}"]) from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError([f"{source}: (top level): must be a mapping of sections"])
        problems: list[str] = []
        data = _substitute(loaded, "", env, problems, source)
        if problems:
            raise ConfigError(problems)
        # A section whose keys are all commented out parses as null: it means the defaults.
        data = {k: v for k, v in data.items() if v is not None}
    origins = _env_overrides(data, env)
    for section, values in (overrides or {}).items():
        current = data.get(section)
        if isinstance(values, dict) and isinstance(current, dict):
            current.update(values)
        elif isinstance(values, dict) and current is not None:
            pass  # not a mapping in the file: validation reports it against the file
        else:
            data[section] = dict(values) if isinstance(values, dict) else values
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source, origins)) from exc


def mask_url(url: str) -> str:
    """Hide the password in a database URL for logs and messages."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _redact(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, key) for v in value]
    if isinstance(value, str):
        if _SECRET_KEY_RE.search(key):
            return MASK
        return _SECRET_QUERY_RE.sub(rf"\1{MASK}", mask_url(value))
    return value


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as JSON data with every secret masked, for printing."""
    # SecretStr fields already dump as asterisks; this also covers plain strings that hold secrets.
    result: dict[str, Any] = _redact(settings.model_dump(mode="json", by_alias=True))
    return result
