"""Live updates over graphql-transport-ws."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.events import MemberProfileChanged
from domain.members import services
from schema.info import Info
from schema.members import MemberType


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The signed-in member's profile: now, then after every change.")
    async def profile_changed(self, info: Info) -> AsyncGenerator[MemberType, None]:
        ctx = info.context
        member_id = ctx.viewer.require_member()
        # Subscribe before reading, so a change between the two is not missed.
        stream = await ctx.container.broker.subscribe(MemberProfileChanged(member_id, 0).channel)
        try:
            member = await services.load_member(ctx.uow(), ctx.container.cache, member_id)
            yield MemberType.from_domain(member)
            async for event in stream:
                version = int(event.get("version", 0))  # type: ignore[call-overload]
                member = await services.load_member(ctx.uow(), ctx.container.cache, member_id, version)
                yield MemberType.from_domain(member)
        finally:
            await stream.aclose()
