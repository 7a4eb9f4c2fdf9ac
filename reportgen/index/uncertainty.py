"""PLACEHOLDER until the uncertainty module lands (owned by the uncertainty helper)."""

from pydantic import BaseModel, ConfigDict


class UncertaintySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")
