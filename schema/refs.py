"""Inputs and enums that several areas use to name members and ids."""

from __future__ import annotations

import strawberry

from domain.errors import BadUserInput
from domain.members.lookup import MemberRef
from domain.members.model import Channel as DomainChannel

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainChannel, name="Channel", description="Where an identity comes from.")
Channel = DomainChannel


def parse_id(raw: strawberry.ID, field: str = "id") -> int:
    """Ids are positive 64-bit integers; anything else is bad input, never a database error."""
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadUserInput.for_field(field, "That is not an id this API gave out.") from exc
    if not 0 < value < 2**63:
        raise BadUserInput.for_field(field, "That is not an id this API gave out.")
    return value


@strawberry.input
class MemberRefInput:
    """Exactly one way of naming the member."""

    id: strawberry.ID | None = None
    phone: str | None = None
    member_code: str | None = None
    channel: Channel | None = None
    external_id: str | None = None

    def to_domain(self) -> MemberRef:
        return MemberRef(member_id=parse_id(self.id) if self.id is not None else None, phone=self.phone,
                         member_code=self.member_code, channel=self.channel, external_id=self.external_id)
