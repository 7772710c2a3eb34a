"""A seeded, random program history for reporting tests: members who joined on varied days and then
bought, checked in, posted, commented, redeemed, earned, lost and moved points, and changed tier.

The rows are written straight into the tables with SQLAlchemy Core (thousands of use-case calls
would make the test slow), shaped like what the use cases write: every purchase, check-in and
redemption has its ledger entry, a cancelled redemption its REVERSE, tier changes chain from tier
to tier and member_tiers holds the last one. The same plain lists are what the test computes its
expected figures from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.store.tables import (
    check_ins,
    comments,
    member_tiers,
    members,
    points_entries,
    posts,
    purchases,
    redemptions,
    rewards,
    tier_changes,
)
from domain.tiers.model import Tier


def local(day: date, zone: ZoneInfo, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), zone).astimezone(UTC)


@dataclass
class History:
    zone: ZoneInfo
    rows: dict[str, list[dict]] = field(default_factory=lambda: {
        name: [] for name in ("members", "rewards", "points_entries", "purchases", "check_ins", "posts",
                              "comments", "redemptions", "tier_changes", "member_tiers")})
    _ids: dict[str, int] = field(default_factory=dict)

    def _next(self, table: str) -> int:
        self._ids[table] = self._ids.get(table, 0) + 1
        return self._ids[table]

    def member(self, joined_at: datetime) -> int:
        member_id = self._next("members")
        self.rows["members"].append(dict(id=member_id, phone=f"1390000{member_id:04d}", member_code=f"K{member_id:07d}",
                                         tags=[], joined_at=joined_at))
        return member_id

    def entry(self, member_id: int, kind: str, amount: int, at: datetime, source_type: str = "test") -> int:
        entry_id = self._next("points_entries")
        self.rows["points_entries"].append(dict(
            id=entry_id, member_id=member_id, kind=kind, amount=amount, reason=f"{kind.lower()} in test",
            source_type=source_type, source_ref=str(entry_id), idempotency_key=f"{source_type}:{entry_id}",
            details={}, created_at=at))
        return entry_id

    def purchase(self, member_id: int, at: datetime, amount_cents: int) -> None:
        points = amount_cents // 100
        entry_id = self.entry(member_id, "EARN", points, at, "purchase") if points else None
        purchase_id = self._next("purchases")
        self.rows["purchases"].append(dict(
            id=purchase_id, member_id=member_id, source="pos", order_id=f"O{purchase_id}", store_id="S1",
            amount_cents=amount_cents, points_awarded=points, entry_id=entry_id,
            items=[{"category": "grocery", "amountCents": amount_cents}], purchased_at=at, created_at=at))

    def check_in(self, member_id: int, at: datetime, makeup: bool = False) -> None:
        day = at.astimezone(self.zone).date() - timedelta(days=1 if makeup else 0)
        self.entry(member_id, "EARN", 10, at, "checkin")
        self.rows["check_ins"].append(dict(id=self._next("check_ins"), member_id=member_id, day=day, points=10,
                                           makeup=makeup, created_at=at))

    def post(self, member_id: int, at: datetime, status: str = "VISIBLE") -> int:
        post_id = self._next("posts")
        self.rows["posts"].append(dict(id=post_id, author_id=member_id, body="hello", image_urls=[], status=status,
                                       created_at=at))
        return post_id

    def comment(self, member_id: int, post_id: int, at: datetime) -> None:
        self.rows["comments"].append(dict(id=self._next("comments"), post_id=post_id, author_id=member_id,
                                          body="nice", status="VISIBLE", created_at=at))

    def reward(self, price: int, at: datetime) -> int:
        reward_id = self._next("rewards")
        self.rows["rewards"].append(dict(id=reward_id, name=f"Reward {reward_id}", category="gifts", kind="GOODS",
                                         points_price=price, limit_period="EVER", voucher_valid_days=30,
                                         image_urls=[], created_at=at))
        return reward_id

    def redeem(self, member_id: int, reward_id: int, price: int, at: datetime, cancelled_at: datetime | None) -> None:
        entry_id = self.entry(member_id, "REDEEM", -price, at, "redemption")
        redemption_id = self._next("redemptions")
        self.rows["redemptions"].append(dict(
            id=redemption_id, member_id=member_id, reward_id=reward_id, quantity=1, points_spent=price,
            voucher_code=f"V{redemption_id:09d}", status="CANCELLED" if cancelled_at else "ISSUED",
            entry_id=entry_id, created_at=at, expires_at=at + timedelta(days=30), cancelled_at=cancelled_at))
        if cancelled_at is not None:
            self.entry(member_id, "REVERSE", price, cancelled_at, "redemption-cancel")

    def tier_change(self, member_id: int, from_tier: Tier | None, to_tier: Tier, at: datetime) -> None:
        reason = "UPGRADE" if from_tier is None or to_tier.rank > from_tier.rank else "DOWNGRADE"
        self.rows["tier_changes"].append(dict(
            id=self._next("tier_changes"), member_id=member_id, from_tier_id=from_tier.id if from_tier else None,
            to_tier_id=to_tier.id, reason=reason, spend_cents=to_tier.threshold_cents, created_at=at))

    async def write(self, engine: AsyncEngine) -> None:
        last: dict[int, dict] = {}
        for change in self.rows["tier_changes"]:
            last[change["member_id"]] = change
        self.rows["member_tiers"] = [dict(member_id=m, tier_id=c["to_tier_id"], achieved_at=c["created_at"])
                                     for m, c in last.items()]
        tables = dict(members=members, rewards=rewards, points_entries=points_entries, purchases=purchases,
                      check_ins=check_ins, posts=posts, comments=comments, redemptions=redemptions,
                      tier_changes=tier_changes, member_tiers=member_tiers)
        async with engine.begin() as conn:
            for name, table in tables.items():
                if self.rows[name]:
                    await conn.execute(insert(table), self.rows[name])


def generate(seed: int, now: datetime, zone: ZoneInfo, ladder: list[Tier], size: int = 160,
             history_days: int = 150) -> History:
    """Members join over `history_days` before `now` and act at random moments between their join and now."""
    rng = random.Random(seed)
    h = History(zone)
    first = now - timedelta(days=history_days)

    def moment(after: datetime) -> datetime:
        return after + (now - after) * rng.random()

    founder = h.member(first)
    anchor = h.post(founder, first + timedelta(minutes=5))
    reward_ids = [h.reward(price, first) for price in (100, 250, 800)]
    for _ in range(size):
        # Many join in bursts on a few days, so cohorts are not all size 1.
        joined = moment(first) if rng.random() < 0.7 else local(
            (now - timedelta(days=rng.choice((12, 40, 75)))).astimezone(zone).date(), zone, rng.randrange(24))
        member_id = h.member(joined)
        # A third do nothing after joining, so rates are well below 100%.
        if rng.random() < 0.33:
            continue
        for _ in range(rng.randrange(6)):
            h.purchase(member_id, moment(joined), rng.randrange(500, 80_000))
        days = {moment(joined).astimezone(zone).date() for _ in range(rng.randrange(7))}
        taken: set[date] = set()
        for day in sorted(days):
            at = local(day, zone, rng.randrange(24), rng.randrange(60))
            # A make-up, made today, fills yesterday (when yesterday is still free).
            makeup = rng.random() < 0.1 and day - timedelta(days=1) not in taken
            if joined <= at < now and day not in taken:
                h.check_in(member_id, at, makeup=makeup)
                taken.add(day - timedelta(days=1) if makeup else day)
        for _ in range(rng.randrange(3)):
            h.post(member_id, moment(joined), rng.choice(("VISIBLE", "VISIBLE", "HIDDEN", "DELETED")))
        for _ in range(rng.randrange(3)):
            h.comment(member_id, anchor, moment(joined))
        for _ in range(rng.randrange(3)):
            at = moment(joined)
            price = rng.choice((100, 250, 800))
            cancelled = moment(at) if rng.random() < 0.2 else None
            h.redeem(member_id, reward_ids[(100, 250, 800).index(price)], price, at, cancelled)
        if rng.random() < 0.3:
            h.entry(member_id, "EXPIRE", -rng.randrange(1, 500), moment(joined), "expiry")
        if rng.random() < 0.2:
            h.entry(member_id, "ADJUST", rng.choice((-1, 1)) * rng.randrange(1, 1_000), moment(joined), "staff")
        if rng.random() < 0.15:
            h.entry(member_id, "REVERSE", -rng.randrange(1, 300), moment(joined), "refund")
        if rng.random() < 0.15:
            at = moment(joined)
            amount = rng.randrange(1, 200)
            h.entry(member_id, "GIFT_OUT", -amount, at, "gift-out")
            h.entry(founder, "GIFT_IN", amount, at, "gift-in")
        current: Tier | None = None
        at = joined
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            at = moment(at)
            target = rng.choice([t for t in ladder if current is None or t.id != current.id][1:] or ladder)
            if current is None and target.rank == 0:
                continue
            h.tier_change(member_id, current, target, at)
            current = target
    return h
