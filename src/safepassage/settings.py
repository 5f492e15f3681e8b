"""One Settings object: SAFEPASSAGE_* environment variables, then defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "safepassage"


class Settings(BaseSettings):
    """Process-wide settings. Override with SAFEPASSAGE_<NAME>, e.g. SAFEPASSAGE_CACHE_DIR."""

    model_config = SettingsConfigDict(env_prefix="SAFEPASSAGE_", extra="ignore")

    cache_dir: Path = Field(default_factory=_default_cache_dir)
    use_cache: bool = True
    max_snap_distance_m: float = 2000.0
    read_workers: int = 2


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
