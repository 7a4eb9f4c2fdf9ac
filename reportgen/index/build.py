"""PLACEHOLDER until the engine lands (owned by the engine helper)."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class Build(BaseModel):
    model_config = ConfigDict(frozen=True)
    steps: tuple[Any, ...] = ()
