"""How POS and partner calls name a member: by id, phone, member code or a linked identity."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import BadUserInput, NotFound
from domain.members.model import Channel, Member
from domain.members.phone import normalize_phone
from domain.ports import UnitOfWork


@dataclass(frozen=True)
class MemberRef:
    member_id: int | None = None
    phone: str | None = None
    member_code: str | None = None
    channel: Channel | None = None
    external_id: str | None = None


async def resolve(uow: UnitOfWork, ref: MemberRef) -> Member:
    """Inside an open unit of work. Exactly one way of naming the member must be given."""
    given = [ref.member_id is not None, ref.phone is not None, ref.member_code is not None,
             ref.channel is not None or ref.external_id is not None]
    if sum(given) != 1:
        raise BadUserInput.for_field("member", "Name the member by exactly one of id, phone, code or identity.")
    member: Member | None
    if ref.member_id is not None:
        member = await uow.members.get(ref.member_id)
    elif ref.phone is not None:
        member = await uow.members.get_by_phone(normalize_phone(ref.phone, "member.phone"))
    elif ref.member_code is not None:
        member = await uow.members.get_by_code(ref.member_code.strip().upper())
    else:
        if ref.channel is None or not ref.external_id:
            raise BadUserInput.for_field("member", "An identity needs both channel and externalId.")
        member = await uow.members.find_by_identity(ref.channel, ref.external_id.strip())
    if member is None:
        raise NotFound("No member matches.")
    return member
