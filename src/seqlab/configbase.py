"""The base of every seqlab config: a pydantic model that refuses unknown keys, so a typo is an error."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A pydantic model with ``extra="forbid"``: ``epoch: 10`` instead of ``epochs`` names the key."""

    model_config = ConfigDict(extra="forbid")


def read_yaml_mapping(path: Path, keys: str) -> dict:
    """The YAML mapping in ``path``; a ConfigError names the file when it is missing, not YAML, or
    not a mapping (``keys`` says what a config of this kind holds, for the message)."""
    from seqlab.errors import ConfigError

    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config is a mapping with keys {keys}")
    return raw
