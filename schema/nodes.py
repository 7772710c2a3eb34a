"""`node(id)` and `nodes(ids)`: any `Node` again by its global id, with the same visibility rules as
its detail query (a member sees only their own coupons and redemptions)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from domain.benefits import services as benefits
from domain.community import services as community
from domain.errors import BadUserInput, NotFound
from domain.meetups import services as meetups
from domain.offers import services as offers
from schema.benefits import Redemption, Reward
from schema.community import Group, Post
from schema.info import Info
from schema.meetups import Event
from schema.offers import coupon_view
from schema.refs import Node, split_global_id

MAX_NODES = 100


async def _resolve(info: Info, raw: strawberry.ID, field: str) -> Node:
    ctx = info.context
    type_name, row_id = split_global_id(str(raw), field)
    if type_name == "Reward":
        return Reward.from_domain(await benefits.reward_for(ctx.uow(), ctx.viewer, row_id))
    if type_name == "Redemption":
        return Redemption.from_domain(await benefits.redemption_for(ctx.uow(), ctx.viewer, row_id),
                                      ctx.container.now())
    if type_name == "Coupon":
        return await coupon_view(info, await offers.coupon_for(ctx.uow(), ctx.viewer, row_id))
    if type_name == "Post":
        return Post.from_domain(await community.post_for(ctx.uow(), ctx.viewer, row_id))
    if type_name == "Group":
        return Group.from_domain(await community.group_for(ctx.uow(), ctx.viewer, row_id))
    if type_name == "Event":
        return Event.from_domain(await meetups.event_for(ctx.uow(), ctx.viewer, row_id))
    raise NotFound("Nothing has that id.")


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object with a global id (Reward, Redemption, Coupon, Post, Group, Event), "
                                  "under the rules of its detail query: NOT_FOUND when it does not exist or the "
                                  "caller may not see it; BAD_USER_INPUT for an id this API did not give out.")
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="A global id, as the `id` field of a `Node` gave it out.")]) -> Node:
        return await _resolve(info, id, "id")

    @strawberry.field(description="Several objects by global id (at most 100), in the order asked; the whole "
                                  "answer fails as `node` would for any id that fails.")
    async def nodes(self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(
            description="Up to 100 global ids (more: BAD_USER_INPUT); repeats are allowed.")]) -> list[Node]:
        if len(ids) > MAX_NODES:
            raise BadUserInput.for_field("ids", f"Ask for at most {MAX_NODES} ids at once.")
        ctx = info.context
        parsed = [split_global_id(str(i), "ids") for i in ids]
        # Catalog entries and groups (what a cached list screen refetches) in one query per type.
        reward_ids = [row for kind, row in parsed if kind == "Reward"]
        group_ids = [row for kind, row in parsed if kind == "Group"]
        rewards = await benefits.rewards_for(ctx.uow(), ctx.viewer, reward_ids) if reward_ids else {}
        groups = await community.groups_for(ctx.uow(), ctx.viewer, group_ids) if group_ids else {}

        async def one(raw: strawberry.ID, kind: str, row: int) -> Node:
            if kind == "Reward":
                return Reward.from_domain(rewards[row])
            if kind == "Group":
                return Group.from_domain(groups[row])
            return await _resolve(info, raw, "ids")

        return list(await asyncio.gather(*(one(raw, kind, row) for raw, (kind, row) in zip(ids, parsed,
                                                                                         strict=True))))
