"""PLACEHOLDER until the findings module lands (owned by the findings helper)."""

from pydantic import BaseModel, ConfigDict


class FindingsSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")
