"""The `database:` config section: a PostgreSQL URL, or the embedded server."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
