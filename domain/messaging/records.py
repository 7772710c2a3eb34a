"""The send record, read by staff: what went to a member, why, on which channel, and the result."""

from __future__ import annotations

from domain.auth.viewer import Role
from domain.deps import Deps
from domain.errors import BadUserInput
from domain.messaging.model import Outbound


async def member_sends(member_id: int, first: int, deps: Deps) -> list[Outbound]:
    staff_id = deps.viewer.require_staff()
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 sends.")
    async with deps.uow as uow:
        found = await uow.messaging.sends(member_id, first, None)
        # Reading what a member was sent is a look at their data: audited like other member look-ups.
        await uow.audit.record(Role.STAFF, staff_id, "member.messages-viewed", f"member:{member_id}", {},
                               deps.clock.now())
        await uow.commit()
    return found
