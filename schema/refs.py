"""Inputs and enums that several areas use to name members and ids."""

from __future__ import annotations

import base64

import strawberry

from domain.errors import BadUserInput
from domain.members.lookup import MemberRef
from domain.members.model import Channel as DomainChannel
from schema.enums import register_enum

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
register_enum(DomainChannel, "Channel", "Where an identity comes from: one member (one phone) can hold several.", {
    "APP_DEVICE": "The member app on one device (the app links it itself after sign-in).",
    "MINI_PROGRAM": "A mini-program account (its openid); linked by staff.",
    "POS_CARD": "A physical membership card scanned at the till; linked by staff.",
})
Channel = DomainChannel


@strawberry.interface(description="An object with a global id: refetch it with `node(id)`; normalised client "
                                   "caches (Apollo, urql, Relay) key on `id`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id: opaque, unique across every type.")


def global_id(type_name: str, row_id: int) -> strawberry.ID:
    """base64("<Type>:<row id>"), the Relay convention."""
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{row_id}".encode()).decode())


def split_global_id(raw: str, field: str = "id") -> tuple[str, int]:
    try:
        type_name, _, row = base64.urlsafe_b64decode(raw.encode()).decode().partition(":")
        value = int(row)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput.for_field(field, "That is not an id this API gave out.") from exc
    if not type_name or not 0 < value < 2**63:
        raise BadUserInput.for_field(field, "That is not an id this API gave out.")
    return type_name, value


def parse_id(raw: strawberry.ID, field: str = "id", type_name: str | None = None) -> int:
    """Ids are positive 64-bit integers, or the global id of a `Node` (of `type_name` when given);
    anything else is bad input, never a database error. Plain numbers stay accepted so clients that
    stored ids before the Node ids keep working."""
    text = str(raw)
    if not text.isdigit():
        kind, value = split_global_id(text, field)
        if type_name is not None and kind != type_name:
            raise BadUserInput.for_field(field, f"That is not the id of a {type_name}.")
        return value
    value = int(text)
    if not 0 < value < 2**63:
        raise BadUserInput.for_field(field, "That is not an id this API gave out.")
    return value


@strawberry.input(description="Names a member by exactly one of: `id`, `phone`, `memberCode`, or `channel` with "
                               "`externalId` (else BAD_USER_INPUT; NOT_FOUND when nobody matches).")
class MemberRefInput:
    """Exactly one way of naming the member."""

    id: strawberry.ID | None = strawberry.field(default=None, description="The member's id (`Member.id`).")
    phone: str | None = strawberry.field(default=None, description="The member's mobile number: E.164 "
                                                                   "(+8613800138000) or an 11-digit mainland number.")
    member_code: str | None = strawberry.field(default=None, description="The member's short member code "
                                                                         "(`Member.memberCode`; case-insensitive).")
    channel: Channel | None = strawberry.field(default=None, description="The channel of a linked identity; with "
                                                                        "`externalId`.")
    external_id: str | None = strawberry.field(default=None, description="The member's id on that channel (e.g. a "
                                                                         "WeChat openid); with `channel`.")

    def to_domain(self) -> MemberRef:
        return MemberRef(member_id=parse_id(self.id) if self.id is not None else None, phone=self.phone,
                         member_code=self.member_code, channel=self.channel, external_id=self.external_id)
