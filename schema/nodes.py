"""`node(id)` and `nodes(ids)`: any `Node` again by its global id, with the same visibility rules as
its detail query (a member sees only their own coupons and redemptions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import strawberry

from domain.benefits import services as benefits
from domain.community import services as community
from domain.entitlements import services as entitlements
from domain.errors import BadUserInput, NotFound
from domain.gamification import draws as draws_cases
from domain.meetups import services as meetups
from domain.offers import services as offers
from schema.benefits import Redemption, Reward
from schema.community import Group, Post
from schema.entitlements import EntitlementUse
from schema.gamification import Draw
from schema.info import Info
from schema.meetups import Event
from schema.offers import coupon_view, coupons_view
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
    if type_name == "Draw":
        return Draw.from_domain(await draws_cases.get_draw(row_id, ctx.deps()), ctx.container.now())
    if type_name == "EntitlementUse":
        use, kind = await entitlements.use_for(row_id, ctx.deps())
        return EntitlementUse.from_domain(use, kind, ctx.language)
    raise NotFound("Nothing has that id.")


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object with a global id (Reward, Redemption, Coupon, Post, Group, Event, "
                                  "Draw, EntitlementUse), "
                                  "under the rules of its detail query: NOT_FOUND when it does not exist or the "
                                  "caller may not see it; BAD_USER_INPUT for an id this API did not give out.")
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="A global id, as the `id` field of a `Node` gave it out.")]) -> Node:
        return await _resolve(info, id, "id")

    @strawberry.field(description="Several objects by global id (at most 100), in the order asked. An id that "
                                  "does not exist or that the caller may not see answers null in its place (the "
                                  "Relay convention), so one stale id does not fail the rest. Rewards, redemptions, "
                                  "coupons, posts and groups are read in one query per type, whatever the number "
                                  "of ids.")
    async def nodes(self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(
            description="Up to 100 global ids (more: BAD_USER_INPUT; an id this API did not give out: "
                        "BAD_USER_INPUT); repeats are allowed.")]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput.for_field("ids", f"Ask for at most {MAX_NODES} ids at once.")
        ctx = info.context
        parsed = [split_global_id(str(i), "ids") for i in ids]
        wanted: dict[str, list[int]] = {}
        for kind, row in parsed:
            wanted.setdefault(kind, []).append(row)
        found: dict[str, Mapping[int, Node]] = {}
        if rows := wanted.get("Reward"):
            found["Reward"] = {i: Reward.from_domain(r)
                               for i, r in (await benefits.visible_rewards(ctx.uow(), ctx.viewer, rows)).items()}
        if rows := wanted.get("Redemption"):
            now = ctx.container.now()
            found["Redemption"] = {i: Redemption.from_domain(r, now) for i, r in
                                   (await benefits.visible_redemptions(ctx.uow(), ctx.viewer, rows)).items()}
        if rows := wanted.get("Coupon"):
            coupons = await offers.visible_coupons(ctx.uow(), ctx.viewer, rows)
            found["Coupon"] = dict(zip(coupons, await coupons_view(info, list(coupons.values())), strict=True))
        if rows := wanted.get("Post"):
            found["Post"] = {i: Post.from_domain(p)
                             for i, p in (await community.visible_posts(ctx.uow(), ctx.viewer, rows)).items()}
        if rows := wanted.get("Group"):
            found["Group"] = {i: Group.from_domain(g)
                              for i, g in (await community.visible_groups(ctx.uow(), ctx.viewer, rows)).items()}
        if rows := wanted.get("EntitlementUse"):
            uses, kinds = await entitlements.visible_uses(rows, ctx.deps())
            found["EntitlementUse"] = {i: EntitlementUse.from_domain(u, kinds[u.kind_id], ctx.language)
                                       for i, u in uses.items()}
        if rows := wanted.get("Event"):
            # domain/meetups has no batched read yet: one read per distinct event.
            found["Event"] = {i: e for i in set(rows) if (e := await _event_or_none(info, i)) is not None}
        if rows := wanted.get("Draw"):
            found["Draw"] = {i: d for i in set(rows) if (d := await _draw_or_none(info, i)) is not None}
        return [found.get(kind, {}).get(row) for kind, row in parsed]


async def _event_or_none(info: Info, event_id: int) -> Event | None:
    ctx = info.context
    try:
        return Event.from_domain(await meetups.event_for(ctx.uow(), ctx.viewer, event_id))
    except NotFound:
        return None


async def _draw_or_none(info: Info, draw_id: int) -> Draw | None:
    ctx = info.context
    try:
        return Draw.from_domain(await draws_cases.get_draw(draw_id, ctx.deps()), ctx.container.now())
    except NotFound:
        return None
