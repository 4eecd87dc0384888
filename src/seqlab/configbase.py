"""The base of every seqlab config: a pydantic model that refuses unknown keys, so a typo is an error."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A pydantic model with ``extra="forbid"``: ``epoch: 10`` instead of ``epochs`` names the key."""

    model_config = ConfigDict(extra="forbid")
