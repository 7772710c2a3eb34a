"""Events use cases publish after their transaction commits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemberProfileChanged:
    member_id: int
    version: int

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:profile"


Event = MemberProfileChanged
