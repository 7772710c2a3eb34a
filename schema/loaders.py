"""DataLoaders, created per request so nothing is cached across requests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from strawberry.dataloader import DataLoader

from domain import live
from domain.benefits import services as benefits
from domain.benefits.model import Reward
from domain.benefits.services import rewards_by_id
from domain.community import services as community
from domain.community.model import Comment, Group
from domain.gamification import badges as gamification
from domain.gamification.model import MemberBadge
from domain.meetups import services as meetups
from domain.meetups.model import Signup
from domain.members.model import ChannelIdentity
from domain.members.services import identities_of
from domain.offers import services as offers
from domain.offers.model import Coupon, CouponTemplate
from domain.points import queries as points_queries
from domain.points.model import Lot
from domain.ports import UnitOfWork
from domain.tiers import services as tier_services
from domain.tiers.model import Tier


@dataclass
class Loaders:
    identities_by_member: DataLoader[int, list[ChannelIdentity]]
    reward_by_id: DataLoader[int, Reward | None]
    author_by_id: DataLoader[int, tuple[str | None, str | None] | None]
    group_by_id: DataLoader[int, Group | None]
    comments_by_post: DataLoader[tuple[int, int], list[Comment]]
    comment_count_by_post: DataLoader[int, int]
    liked_by_viewer: DataLoader[tuple[int, int], bool]
    running_total_by_entry: DataLoader[tuple[int, int], int | None]
    lot_by_entry: DataLoader[int, Lot | None]
    coupon_template_by_id: DataLoader[int, CouponTemplate | None]
    redeemed_in_period: DataLoader[tuple[int, int, datetime], int]
    tier_rank_by_member: DataLoader[int, int]
    tier_by_id: DataLoader[int, Tier | None]
    signup_by_member_event: DataLoader[tuple[int, int], Signup | None]
    titled_badges_by_member: DataLoader[int, list[MemberBadge]]
    # Live streams (websockets share one uncached set per process, api/live.py): what one event
    # batch wakes hundreds of streams to read, read once.
    coupons_since_by_member: DataLoader[tuple[int, int, int], list[Coupon]]  # (member, after id, limit)
    available_coupons_by_member: DataLoader[tuple[int, datetime], int]  # (member, now)

    @classmethod
    def for_request(cls, new_uow: Callable[[], UnitOfWork], cache: bool = True) -> Loaders:
        """cache=False for websocket connections, which outlive any single read."""
        async def identities(member_ids: Sequence[int]) -> list[list[ChannelIdentity]]:
            found = await identities_of(new_uow(), list(member_ids))
            return [found[mid] for mid in member_ids]

        async def rewards(reward_ids: Sequence[int]) -> list[Reward | None]:
            found = await rewards_by_id(new_uow(), list(reward_ids))
            return [found.get(rid) for rid in reward_ids]

        async def authors(ids: Sequence[int]) -> list[tuple[str | None, str | None] | None]:
            found = await community.public_profiles(new_uow(), list(ids))
            return [found.get(i) for i in ids]

        async def groups(ids: Sequence[int]) -> list[Group | None]:
            found = await community.groups_by_ids(new_uow(), list(ids))
            return [found.get(i) for i in ids]

        async def comments(keys: Sequence[tuple[int, int]]) -> list[list[Comment]]:
            """(post id, how many): the first comments of each post, one query per distinct page size."""
            found: dict[tuple[int, int], list[Comment]] = {}
            for size in {n for _, n in keys}:
                post_ids = [p for p, n in keys if n == size]
                for post_id, rows in (await community.comments_of(new_uow(), post_ids, size)).items():
                    found[(post_id, size)] = rows
            return [found.get(k, []) for k in keys]

        async def comment_counts(post_ids: Sequence[int]) -> list[int]:
            found = await community.comment_counts(new_uow(), list(post_ids))
            return [found.get(p, 0) for p in post_ids]

        async def liked(keys: Sequence[tuple[int, int]]) -> list[bool]:
            by_member: dict[int, list[int]] = {}
            for member_id, post_id in keys:
                by_member.setdefault(member_id, []).append(post_id)
            liked_keys = set()
            for member_id, post_ids in by_member.items():
                liked_keys |= {(member_id, p) for p in await community.liked_by(new_uow(), member_id, post_ids)}
            return [key in liked_keys for key in keys]

        async def running_totals(keys: Sequence[tuple[int, int]]) -> list[int | None]:
            found = await points_queries.running_totals(new_uow(), list(keys))
            return [found.get(k) for k in keys]

        async def lots(entry_ids: Sequence[int]) -> list[Lot | None]:
            found = await points_queries.lots_of_entries(new_uow(), list(entry_ids))
            return [found.get(e) for e in entry_ids]

        async def coupons_since(keys: Sequence[tuple[int, int, int]]) -> list[list[Coupon]]:
            found: dict[tuple[int, int, int], list[Coupon]] = {}
            pending = list(dict.fromkeys(keys))
            while pending:  # a member twice (two streams, two cursors) or another limit: a second read
                limit, batch, later = pending[0][2], {}, []
                for key in pending:
                    if key[0] in batch or key[2] != limit:
                        later.append(key)
                    else:
                        batch[key[0]] = key
                rows = await live.coupons_since_many(new_uow(), {m: k[1] for m, k in batch.items()}, limit)
                found.update({k: rows[m] for m, k in batch.items()})
                pending = later
            return [found[k] for k in keys]

        async def available_coupons(keys: Sequence[tuple[int, datetime]]) -> list[int]:
            # One instant for the batch: the latest asked for (they are a tick apart).
            counts = await live.available_coupons_counts(new_uow(), list({m for m, _ in keys}), max(t for _, t in keys))
            return [counts.get(m, 0) for m, _ in keys]

        async def templates(ids: Sequence[int]) -> list[CouponTemplate | None]:
            found = await offers.templates_by_id(new_uow(), list(ids))
            return [found.get(i) for i in ids]

        async def redeemed(keys: Sequence[tuple[int, int, datetime]]) -> list[int]:
            by_member: dict[int, list[tuple[int, datetime]]] = {}
            for member_id, reward_id, since in keys:
                by_member.setdefault(member_id, []).append((reward_id, since))
            found = {member_id: await benefits.redeemed_in_periods(new_uow(), member_id, wanted)
                     for member_id, wanted in by_member.items()}
            return [found[m][(r, since)] for m, r, since in keys]

        async def tier_ranks(member_ids: Sequence[int]) -> list[int]:
            found = await benefits.tier_ranks(new_uow(), list(member_ids))
            return [found[m] for m in member_ids]

        async def tiers(ids: Sequence[int]) -> list[Tier | None]:
            # The ladder is a handful of rows (and cached by the program snapshot): read it whole.
            ladder = {t.id: t for t in await tier_services.list_tiers(new_uow())}
            return [ladder.get(i) for i in ids]

        async def signups(keys: Sequence[tuple[int, int]]) -> list[Signup | None]:
            by_member: dict[int, list[int]] = {}
            for member_id, event_id in keys:
                by_member.setdefault(member_id, []).append(event_id)
            found = {m: await meetups.signups_of(new_uow(), m, ids) for m, ids in by_member.items()}
            return [found[m].get(e) for m, e in keys]

        async def titled(member_ids: Sequence[int]) -> list[list[MemberBadge]]:
            found = await gamification.titled_badges(new_uow(), list(member_ids))
            return [found.get(m, []) for m in member_ids]

        return cls(titled_badges_by_member=DataLoader(load_fn=titled, cache=cache),
                   coupons_since_by_member=DataLoader(load_fn=coupons_since, cache=cache),
                   available_coupons_by_member=DataLoader(load_fn=available_coupons, cache=cache),
                   signup_by_member_event=DataLoader(load_fn=signups, cache=cache),
                   tier_by_id=DataLoader(load_fn=tiers, cache=cache),
                   redeemed_in_period=DataLoader(load_fn=redeemed, cache=cache),
                   tier_rank_by_member=DataLoader(load_fn=tier_ranks, cache=cache),
                   coupon_template_by_id=DataLoader(load_fn=templates, cache=cache),
                   running_total_by_entry=DataLoader(load_fn=running_totals, cache=cache),
                   lot_by_entry=DataLoader(load_fn=lots, cache=cache),
                   identities_by_member=DataLoader(load_fn=identities, cache=cache),
                   reward_by_id=DataLoader(load_fn=rewards, cache=cache),
                   author_by_id=DataLoader(load_fn=authors, cache=cache),
                   group_by_id=DataLoader(load_fn=groups, cache=cache),
                   comments_by_post=DataLoader(load_fn=comments, cache=cache),
                   comment_count_by_post=DataLoader(load_fn=comment_counts, cache=cache),
                   liked_by_viewer=DataLoader(load_fn=liked, cache=cache))
