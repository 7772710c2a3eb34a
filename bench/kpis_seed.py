"""Bulk program history for the KPI benchmark, written by PostgreSQL itself (INSERT … SELECT over
generate_series), one block of members at a time so a progress bar can follow it.

Per member, on average: 3.5 purchases (each with its EARN entry), 3.5 check-ins, 0.9 reward
redemptions (each with its REDEEM entry), 0.2 posts, 0.3 comments, and a few EXPIRE, ADJUST and
REVERSE entries; a quarter were upgraded once and 30% of those downgraded again, with member_tiers
holding the last change. Members join over two years, more of them recently (a growing program);
everything they do falls between their join and now, uniformly. Check-ins write no ledger entry
and earns no lots here: the KPIs read neither, and leaving them out halves the load time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.progress import ProgressBar

BLOCK = 50_000

# `+ m.id * 0` and `+ k * 0` tie each volatile expression to its row, so PostgreSQL draws a new
# random number per member (or per member and k) instead of evaluating it once for the statement.
AT = ("CROSS JOIN LATERAL (SELECT m.joined_at + random() * (CAST(:now AS timestamptz) - m.joined_at)"
      " + k * interval '0' AS at) t")
STATEMENTS = [
    """INSERT INTO members (id, phone, member_code, tags, joined_at)
       SELECT g, '1' || lpad(g::text, 10, '0'), 'M' || g, '[]'::json,
              CAST(:now AS timestamptz) - power(random(), 1.5) * interval '730 days'
       FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint) - 1) g""",
    f"""INSERT INTO purchases (member_id, source, order_id, store_id, amount_cents, points_awarded, items,
                               purchased_at, created_at, channel, item_quantity)
       SELECT m.id, 'pos', m.id || '-' || k, 'S' || m.id % 50, c.cents, c.cents / 100, '[]'::json, t.at, t.at,
              (ARRAY['POS', 'POS', 'APP', 'MINI_PROGRAM', 'ECOMMERCE'])[1 + (m.id + k) % 5], 1 + (m.id + k) % 3
       FROM members m
       CROSS JOIN LATERAL generate_series(1, floor(power(random(), 2) * 12 + m.id * 0)::int) k
       {AT}
       CROSS JOIN LATERAL (SELECT (500 + floor(random() * 30000) + k * 0)::bigint AS cents) c
       WHERE m.id >= :lo AND m.id < :hi""",
    """INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, idempotency_key,
                                   details, created_at)
       SELECT p.member_id, 'EARN', p.points_awarded, 'Purchase ' || p.order_id, 'purchase', p.order_id,
              'pos:' || p.order_id, '{}'::json, p.purchased_at
       FROM purchases p WHERE p.member_id >= :lo AND p.member_id < :hi AND p.points_awarded > 0""",
    f"""INSERT INTO check_ins (member_id, day, points, makeup, created_at)
       SELECT m.id, (t.at AT TIME ZONE CAST(:zone AS text))::date, 10, false, t.at
       FROM members m
       CROSS JOIN LATERAL generate_series(1, floor(power(random(), 3) * 16 + m.id * 0)::int) k
       {AT}
       WHERE m.id >= :lo AND m.id < :hi
       ON CONFLICT (member_id, day) DO NOTHING""",
    """INSERT INTO posts (author_id, body, image_urls, status, created_at)
       SELECT m.id, 'Loving the new store', '[]'::json, 'VISIBLE',
              m.joined_at + random() * (CAST(:now AS timestamptz) - m.joined_at)
       FROM members m WHERE m.id >= :lo AND m.id < :hi AND random() < 0.2""",
    """INSERT INTO comments (post_id, author_id, body, status, created_at)
       SELECT (SELECT min(id) FROM posts) + m.id % 1000, m.id, 'Same here', 'VISIBLE',
              m.joined_at + random() * (CAST(:now AS timestamptz) - m.joined_at)
       FROM members m WHERE m.id >= :lo AND m.id < :hi AND random() < 0.3""",
    f"""INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, idempotency_key,
                                   details, created_at)
       SELECT m.id, 'REDEEM', -r.price, 'Redeemed Tote bag', 'redemption', m.id || '-' || k,
              'redeem:' || m.id || '-' || k, '{{}}'::json, t.at
       FROM members m
       CROSS JOIN LATERAL generate_series(1, floor(power(random(), 2) * 4 + m.id * 0)::int) k
       {AT}
       CROSS JOIN LATERAL (SELECT (100 * (1 + floor(random() * 5)) + k * 0)::bigint AS price) r
       WHERE m.id >= :lo AND m.id < :hi""",
    """INSERT INTO redemptions (member_id, reward_id, quantity, points_spent, voucher_code, status, entry_id,
                                created_at, expires_at)
       SELECT e.member_id, CAST(:reward AS bigint), 1, -e.amount, 'V' || e.id, 'ISSUED', e.id, e.created_at,
              e.created_at + interval '30 days'
       FROM points_entries e WHERE e.member_id >= :lo AND e.member_id < :hi AND e.kind = 'REDEEM'""",
    """INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, idempotency_key,
                                   details, created_at)
       SELECT m.id, x.kind, x.amount, 'Bench ' || x.kind, lower(x.kind), m.id::text, lower(x.kind) || ':' || m.id,
              '{}'::json, m.joined_at + random() * (CAST(:now AS timestamptz) - m.joined_at)
       FROM members m
       CROSS JOIN LATERAL (SELECT random() + m.id * 0 AS r) d
       CROSS JOIN LATERAL (SELECT CASE WHEN d.r < 0.25 THEN 'EXPIRE' WHEN d.r < 0.28 THEN 'ADJUST' ELSE 'REVERSE' END
                                    AS kind,
                                  CASE WHEN d.r >= 0.26 AND d.r < 0.28 THEN 1 ELSE -1 END
                                    * (1 + floor(random() * 500))::bigint AS amount) x
       WHERE m.id >= :lo AND m.id < :hi AND d.r < 0.33""",
    """INSERT INTO tier_changes (member_id, from_tier_id, to_tier_id, reason, spend_cents, created_at)
       SELECT m.id, NULL, CASE WHEN d.r < 0.7 THEN CAST(:gold AS bigint)
                                   WHEN d.r < 0.9 THEN CAST(:platinum AS bigint) ELSE CAST(:diamond AS bigint) END,
              'UPGRADE', 5000000, m.joined_at + random() * (CAST(:now AS timestamptz) - m.joined_at)
       FROM members m CROSS JOIN LATERAL (SELECT random() + m.id * 0 AS r) d
       WHERE m.id >= :lo AND m.id < :hi AND random() < 0.25""",
    """INSERT INTO tier_changes (member_id, from_tier_id, to_tier_id, reason, spend_cents, created_at)
       SELECT c.member_id, c.to_tier_id, CAST(:base AS bigint), 'DOWNGRADE', 0,
              c.created_at + random() * (CAST(:now AS timestamptz) - c.created_at)
       FROM tier_changes c WHERE c.member_id >= :lo AND c.member_id < :hi AND random() < 0.3""",
    """INSERT INTO member_tiers (member_id, tier_id, achieved_at, held_until)
       SELECT DISTINCT ON (member_id) member_id, to_tier_id, created_at, created_at + interval '1 year'
       FROM tier_changes WHERE member_id >= :lo AND member_id < :hi
       ORDER BY member_id, created_at DESC, id DESC""",
]


async def seed_members(engine: AsyncEngine, first_id: int, count: int, now: datetime, zone: str,
                       tier_ids: dict[str, int]) -> None:
    """Members first_id .. first_id + count - 1 and everything they did."""
    bar = ProgressBar(count, f"members {first_id:,}..{first_id + count - 1:,}")
    async with engine.begin() as conn:
        reward = await conn.scalar(text("SELECT min(id) FROM rewards"))
        if reward is None:
            reward = await conn.scalar(text(
                "INSERT INTO rewards (name, category, kind, points_price, limit_period, voucher_valid_days, "
                "image_urls, created_at) VALUES ('Tote bag', 'gifts', 'GOODS', 300, 'EVER', 30, '[]', :now) "
                "RETURNING id"), {"now": now})
    for lo in range(first_id, first_id + count, BLOCK):
        hi = min(lo + BLOCK, first_id + count)
        params = {"lo": lo, "hi": hi, "now": now, "zone": zone, "reward": reward, "base": tier_ids["BASE"],
                  "gold": tier_ids["GOLD"], "platinum": tier_ids["PLATINUM"], "diamond": tier_ids["DIAMOND"]}
        async with engine.begin() as conn:
            for statement in STATEMENTS:
                used = {k: v for k, v in params.items() if f":{k}" in statement}
                await conn.execute(text(statement), used)
        bar.advance(hi - lo)
    async with engine.begin() as conn:
        await conn.execute(text("SELECT setval(pg_get_serial_sequence('members', 'id'), max(id)) FROM members"))


async def vacuum_analyze(engine: AsyncEngine) -> None:
    """What autovacuum would have done by the time anyone reads a report: statistics for the planner
    and a visibility map, so index-only scans can skip the heap."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    names = ["members", "purchases", "points_entries", "check_ins", "redemptions", "posts", "comments",
             "tier_changes"]
    async with engine.connect() as conn:
        return {name: int(await conn.scalar(text(f"SELECT count(*) FROM {name}")) or 0) for name in names}
