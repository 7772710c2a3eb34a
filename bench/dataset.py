"""The reference dataset: N members with a realistic tier mix, M ledger entries, a few members with
very long histories, a reward catalog and some coupons. PostgreSQL only, written set-based
(`INSERT … SELECT generate_series`), because calling the use cases ten million times would take
hours.

Every member's ledger looks like what the use cases leave: earns of 10 points, and every fifth
entry a 10-point redemption that empties the member's oldest open lot (one lot move), so FIFO
consumption holds. Entry i of a member is an earn unless i % 5 == 4; earn number r (counting
earns only) sits at entry r + r // 4, and redemption r (entry 5r + 4) consumes it. `verify`
checks balance == sum(entries) == sum(open lots) for every account before anything is timed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.container import Container
from api.progress import ProgressBar
from domain.benefits.model import LimitPeriod, Reward, RewardKind
from domain.benefits.services import save_reward
from domain.offers.model import CouponKind, CouponTemplate
from domain.offers.services import save_template
from domain.tiers.services import list_tiers
from tests.support.program import STAFF

# Share of members per tier rank, and how many times the base member's history each rank has:
# most members are base and occasional, the few top ones buy often.
TIER_MIX = ((0, 0.62, 1), (1, 0.25, 3), (2, 0.10, 6), (3, 0.03, 12))
REWARD_PRICES = [100 * k for k in (1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 80, 100, 150, 200, 300, 500)]


CHUNKS = 20

_ENTRIES = """
        INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, idempotency_key,
                                    actor_role, actor_id, details, created_at)
        SELECT p.member_id,
               CASE WHEN i % 5 = 4 THEN 'REDEEM' ELSE 'EARN' END,
               CASE WHEN i % 5 = 4 THEN -10 ELSE 10 END,
               CASE WHEN i % 5 = 4 THEN 'Reward redemption' ELSE 'Purchase seed-' || i END,
               'bench', 'bench/' || p.member_id || '/' || i, 'bench/' || p.member_id || '/' || i,
               CASE WHEN i % 5 = 4 THEN 'member' ELSE 'staff' END,
               CASE WHEN i % 5 = 4 THEN p.member_id ELSE 1 END,
               '{}'::json, CAST(:now AS timestamptz) - interval '1 hour' - make_interval(mins => p.n - i)
        FROM bench_plan p CROSS JOIN LATERAL generate_series(0, p.n - 1) AS i
        WHERE p.member_id BETWEEN :lo AND :hi"""
_LOTS = """
        INSERT INTO points_lots (member_id, entry_id, original, remaining, earned_at, available_at, expires_at)
        SELECT e.member_id, e.id, 10,
               CASE WHEN (i - i / 5) < p.n / 5 THEN 0 ELSE 10 END,
               e.created_at, e.created_at, CAST(:now AS timestamptz) + make_interval(days => 1 + (i - i / 5) % 365)
        FROM points_entries e
        JOIN bench_plan p ON p.member_id = e.member_id
        CROSS JOIN LATERAL (SELECT split_part(e.idempotency_key, '/', 3)::int AS i) k
        WHERE e.member_id BETWEEN :lo AND :hi AND e.source_type = 'bench' AND e.kind = 'EARN'"""
_MOVES = """
        INSERT INTO points_lot_moves (entry_id, lot_id, amount)
        SELECT r.id, l.id, -10
        FROM points_entries r
        CROSS JOIN LATERAL (SELECT (split_part(r.idempotency_key, '/', 3)::int - 4) / 5 AS n) k
        JOIN points_entries e ON e.source_type = 'bench'
             AND e.idempotency_key = 'bench/' || r.member_id || '/' || (k.n + k.n / 4)
        JOIN points_lots l ON l.entry_id = e.id
        WHERE r.member_id BETWEEN :lo AND :hi AND r.source_type = 'bench' AND r.kind = 'REDEEM'"""


@dataclass(frozen=True)
class Scale:
    members: int
    entries: int
    heavy_members: int
    heavy_entries: int


FULL = Scale(members=100_000, entries=10_000_000, heavy_members=5, heavy_entries=100_000)
QUICK = Scale(members=10_000, entries=300_000, heavy_members=3, heavy_entries=20_000)


@dataclass(frozen=True)
class Dataset:
    members: int
    entries: int
    heavy: list[int]  # member ids with heavy_entries each
    by_tier: dict[int, int]  # rank -> members
    hot_reward_id: int
    reward_count: int
    coupons: int


def _per_member(scale: Scale) -> float:
    """Entries of a base member so that the tier-weighted total comes out at `scale.entries`."""
    spread = scale.entries - scale.heavy_members * scale.heavy_entries
    weight = sum(share * times for _rank, share, times in TIER_MIX)
    return max(spread / (scale.members * weight), 5.0)


async def _run(engine: AsyncEngine, sql: str, **params: object) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(text(sql), params)
        return result.rowcount or 0


async def load(container: Container, scale: Scale, now: datetime) -> Dataset:
    tiers = await list_tiers(container.uow())  # the test ladder, configured by bench_environment
    engine = container.engine
    # members, plan, accounts, tiers, catalog, coupons, analyze; entries, lots and moves in chunks
    bar = ProgressBar(7 + 3 * CHUNKS, f"dataset: {scale.members:,} members, ~{scale.entries:,} entries")
    tier_ids = {t.rank: t.id for t in tiers}

    await _run(engine, """
        INSERT INTO members (phone, member_code, display_name, tags, joined_at)
        SELECT '150' || lpad(n::text, 8, '0'), 'B' || lpad(n::text, 9, '0'), 'Member ' || n, '[]'::json,
               CAST(:now AS timestamptz) - make_interval(days => n % 900)
        FROM generate_series(1, :n) AS n""", n=scale.members, now=now)
    bar.advance()

    # The plan: each member's tier rank and history length. Members are assigned to ranks in
    # blocks by a hash of their id, so ranks are mixed through the id range.
    base = _per_member(scale)
    cases = " ".join(f"WHEN h < {cut:.4f} THEN {rank}" for rank, cut in _cuts())
    await _run(engine, "DROP TABLE IF EXISTS bench_plan")
    await _run(engine, f"""
        CREATE UNLOGGED TABLE bench_plan AS
        SELECT id AS member_id, rank, 0 AS n FROM (
            SELECT id, CASE {cases} ELSE 0 END AS rank
            FROM (SELECT id, ((hashint4(id::int)::bigint + 2147483648) % 10000) / 10000.0 AS h FROM members) s
        ) t""")
    for rank, _share, times in TIER_MIX:
        await _run(engine, "UPDATE bench_plan SET n = :n WHERE rank = :rank", n=round(base * times), rank=rank)
    heavy = [row[0] for row in await _fetch(engine, """
        SELECT member_id FROM bench_plan WHERE rank = 3 ORDER BY member_id LIMIT :k""", k=scale.heavy_members)]
    await _run(engine, "UPDATE bench_plan SET n = :n WHERE member_id = ANY(:ids)", n=scale.heavy_entries, ids=heavy)
    bar.advance()

    # Set-based, in CHUNKS ranges of member ids so the bar moves. Timestamps one minute apart, the
    # newest an hour ago (nothing pending); lots expire over the coming year, so some expire soon.
    low, high = (await _fetch(engine, "SELECT min(member_id), max(member_id) FROM bench_plan"))[0]
    step = (high - low) // CHUNKS + 1
    ranges = [(lo, lo + step - 1) for lo in range(low, high + 1, step)]
    for lo, hi in ranges:
        await _run(engine, _ENTRIES, now=now, lo=lo, hi=hi)
        bar.advance()
    for lo, hi in ranges:
        await _run(engine, _LOTS, now=now, lo=lo, hi=hi)
        bar.advance()
    for lo, hi in ranges:
        await _run(engine, _MOVES, lo=lo, hi=hi)
        bar.advance()
    bar.advance(3 * CHUNKS - 3 * len(ranges))
    await _run(engine, """
        INSERT INTO points_accounts (member_id, balance, version, updated_at)
        SELECT p.member_id, 10 * (p.n - 2 * (p.n / 5)), p.n, CAST(:now AS timestamptz) - interval '1 hour'
        FROM bench_plan p""", now=now)
    bar.advance()
    for rank in (1, 2, 3):
        await _run(engine, """
            INSERT INTO member_tiers (member_id, tier_id, achieved_at, held_until)
            SELECT member_id, :tier, CAST(:now AS timestamptz) - interval '30 days',
                   CAST(:now AS timestamptz) + interval '335 days'
            FROM bench_plan WHERE rank = :rank""", tier=tier_ids[rank], rank=rank, now=now)
    bar.advance()

    rewards = [await save_reward(container.uow(), STAFF, Reward(
        0, f"Reward {price}", "dining" if i % 2 else "retail", RewardKind.COUPON, price, None, None,
        LimitPeriod.EVER), now) for i, price in enumerate(REWARD_PRICES)]
    hot = await save_reward(container.uow(), STAFF, Reward(0, "Hot coffee", "dining", RewardKind.COUPON, 100,
                                                           10_000_000, None, LimitPeriod.EVER), now)
    bar.advance()
    template = await save_template(container.uow(), STAFF, CouponTemplate(
        0, "Bench 10 off", CouponKind.CASH_OFF, 1_000, valid_days=30, per_member_limit=None), now)
    coupons = await _run(engine, """
        INSERT INTO coupons (template_id, member_id, code, status, source, issue_key, issued_at, valid_from,
                             valid_until)
        SELECT :t, id, 'BC' || lpad(id::text, 10, '0'), 'AVAILABLE', 'STAFF', 'bench-coupon/' || id,
               CAST(:now AS timestamptz), CAST(:now AS timestamptz), CAST(:now AS timestamptz) + interval '30 days'
        FROM members WHERE id % 3 = 0""", t=template.id, now=now)
    bar.advance()
    await _run(engine, "DROP TABLE bench_plan")
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("VACUUM ANALYZE")
    bar.advance()

    counts = dict(await _fetch(engine, """
        SELECT coalesce(t.rank, 0), count(*) FROM members m
        LEFT JOIN member_tiers mt ON mt.member_id = m.id LEFT JOIN tiers t ON t.id = mt.tier_id
        GROUP BY 1"""))
    entries = (await _fetch(engine, "SELECT count(*) FROM points_entries"))[0][0]
    return Dataset(scale.members, entries, heavy, counts, hot.id, len(rewards) + 1, coupons)


def _cuts() -> list[tuple[int, float]]:
    cuts, total = [], 0.0
    for rank, share, _times in sorted(TIER_MIX, key=lambda t: -t[0]):
        total += share
        cuts.append((rank, total))
    return cuts


async def _fetch(engine: AsyncEngine, sql: str, **params: object) -> list[tuple]:
    async with engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql), params)]


async def verify(engine: AsyncEngine) -> None:
    """Fails loudly rather than timing a ledger the application could never have produced."""
    bad = await _fetch(engine, """
        SELECT a.member_id, a.balance, e.total, l.open
        FROM points_accounts a
        LEFT JOIN (SELECT member_id, sum(amount) AS total FROM points_entries GROUP BY member_id) e
               ON e.member_id = a.member_id
        LEFT JOIN (SELECT member_id, sum(remaining) AS open FROM points_lots GROUP BY member_id) l
               ON l.member_id = a.member_id
        WHERE a.balance IS DISTINCT FROM e.total OR a.balance IS DISTINCT FROM l.open
        LIMIT 3""")
    if bad:
        raise RuntimeError(f"dataset ledger is inconsistent (member, balance, entries, lots): {bad}")
    moves = (await _fetch(engine, """
        SELECT count(*) FROM points_entries r
        WHERE r.kind = 'REDEEM' AND r.amount <> (SELECT sum(amount) FROM points_lot_moves m WHERE m.entry_id = r.id)
        """))[0][0]
    if moves:
        raise RuntimeError(f"{moves} redemptions whose lot moves do not add up to their amount")

