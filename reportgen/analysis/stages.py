"""PLACEHOLDER until the stages module lands (owned by the findings helper)."""

from pydantic import BaseModel, ConfigDict


class StagesSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")
