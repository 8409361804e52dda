"""One settings object: environment variables, an optional TOML file, embedded defaults.

Everything lives under one data directory by default (``CHAINSLEUTH_HOME``, else
``~/.local/share/chainsleuth``), so the README's run command needs no configuration.
A file named by ``CHAINSLEUTH_CONFIG`` (TOML) supplies values that the environment
can still override.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from chainsleuth.errors import Invalid


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "chainsleuth"


class Settings(BaseSettings):
    """Settings of one chainsleuth installation."""

    model_config = SettingsConfigDict(env_prefix="CHAINSLEUTH_", extra="forbid")

    home: Path = Field(default_factory=_default_home)
    store: Path | None = None
    database_url: str | None = None
    network: str = "mainnet"
    batch_blocks: int = Field(default=500, ge=1)

    @property
    def store_dir(self) -> Path:
        """The chain store directory."""
        return self.store if self.store is not None else self.home / "store"

    @property
    def db_url(self) -> str:
        """The operational database URL; SQLite under ``home`` unless set."""
        return self.database_url or f"sqlite:///{self.home / 'chainsleuth.db'}"


def _file_values(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise Invalid(f"config file {path}: {exc}") from exc
    section = data.get("chainsleuth", data)
    if not isinstance(section, dict):
        raise Invalid(f"config file {path}: [chainsleuth] must be a table")
    env_set = {k.removeprefix("CHAINSLEUTH_").lower() for k in os.environ}
    return {k: v for k, v in section.items() if k not in env_set}


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the config file (if any), the environment and ``overrides``."""
    values: dict[str, Any] = {}
    config = os.environ.get("CHAINSLEUTH_CONFIG")
    if config:
        values.update(_file_values(Path(config)))
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise Invalid(f"settings: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call :func:`load_settings`)."""
    return load_settings()
