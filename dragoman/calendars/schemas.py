"""Business hours in requests and answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class HoursIn(BaseModel):
    weekday: int = Field(description="0 = Monday ... 6 = Sunday")
    start: str = Field(description="HH:MM, local time of the queue")
    end: str = Field(description="HH:MM (24:00 for midnight)")
