"""The write baseline: the member write paths as hand-written asyncpg transactions, for the ratios.

Each endpoint does the same writes the app does for the same request, in one transaction, on one
pooled connection: the idempotency record (claimed, then its result), the account lock and update,
the ledger entry, its lots and lot moves (set-based, as the app now does), the purchase, redemption,
check-in or gift rows, stock, and the tier spend read. What it leaves out is what the app adds on
top: GraphQL, the domain layer, the ORM, the cached balance written through to Redis after the
commit and the published event. Requests are JSON bodies; answers are small JSON objects.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import Response

CLAIM = """INSERT INTO idempotency_records (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING key"""
RESULT = "UPDATE idempotency_records SET result = $3 WHERE scope = $1 AND key = $2"
LOCK = """INSERT INTO points_accounts (member_id, balance, version, updated_at) VALUES ($1, 0, 0, $2)
ON CONFLICT (member_id) DO UPDATE SET member_id = excluded.member_id RETURNING balance"""
CREDIT = """
WITH entry AS (
  INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, idempotency_key, details,
                              created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8) RETURNING id
), lots AS (
  INSERT INTO points_lots (member_id, entry_id, original, remaining, earned_at, available_at, expires_at)
  SELECT $1, entry.id, x.amount, x.amount, $8, x.available_at, x.expires_at
  FROM entry, unnest($9::bigint[], $10::timestamptz[], $11::timestamptz[]) AS x(amount, available_at, expires_at)
), account AS (
  UPDATE points_accounts SET balance = balance + $3, version = version + 1, updated_at = $8
  WHERE member_id = $1 RETURNING version
)
SELECT entry.id, account.version FROM entry, account"""
DEBIT = """
WITH open_lots AS (
  SELECT id, remaining, expires_at, SUM(remaining) OVER (ORDER BY earned_at, id) - remaining AS before
  FROM points_lots
  WHERE member_id = $1 AND remaining > 0 AND available_at <= $6 AND expires_at > $6
), chosen AS (
  SELECT id, expires_at, LEAST(remaining, $3 - before) AS take FROM open_lots WHERE before < $3
), total AS (SELECT COALESCE(SUM(take), 0)::bigint AS taken FROM chosen
), entry AS (
  INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, idempotency_key, details,
                              created_at)
  SELECT $1, $2, -$3, $4, $5, $7, $8, '{}', $6 FROM total WHERE taken = $3 RETURNING id
), taken_lots AS (
  UPDATE points_lots l SET remaining = l.remaining - chosen.take FROM chosen, entry WHERE l.id = chosen.id
  RETURNING l.id, chosen.take, l.expires_at, entry.id AS entry_id
), moves AS (
  INSERT INTO points_lot_moves (entry_id, lot_id, amount) SELECT entry_id, id, -take FROM taken_lots
), account AS (
  UPDATE points_accounts SET balance = balance - $3, version = version + 1, updated_at = $6
  FROM entry WHERE member_id = $1 RETURNING version
)
SELECT (SELECT id FROM entry), taken_lots.take, taken_lots.expires_at FROM (SELECT 1) one
LEFT JOIN taken_lots ON true"""
TIER_AND_SPEND = """
SELECT t.multiplier_pct, (SELECT coalesce(sum(amount_cents - refunded_cents), 0) FROM purchases
                          WHERE member_id = $1 AND purchased_at > $2)
FROM (SELECT 1) one LEFT JOIN member_tiers mt ON mt.member_id = $1 LEFT JOIN tiers t ON t.id = mt.tier_id"""


def _json(data: object, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


def _hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _months(moment: datetime, months: int) -> datetime:
    return moment + timedelta(days=30 * months)


ADVISORY_LOCK = "SELECT pg_advisory_xact_lock($1)"


def _lock_key(name: str) -> int:
    """The app's key for a named transaction lock (SqlUnitOfWork.lock)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class WriteBaseline:
    """Routes over the baseline's pool; `member_of(request)` and `partner_of(request)` are its token checks."""

    def __init__(self, pool_of, member_of, checkin_points: int = 0, partner_of=None) -> None:
        self._pool_of, self._member_of, self._partner_of = pool_of, member_of, partner_of
        self.checkin_points = checkin_points

    async def earn(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        now, order, member_id, cents = datetime.now(UTC), body["orderId"], int(body["memberId"]), body["amountCents"]
        points = cents // 100
        async with self._pool_of().acquire() as conn, conn.transaction():
            if await conn.fetchval(CLAIM, "purchase:store:bench", order, _hash(body), now) is None:
                return _json({"replay": True})
            await conn.fetchval(LOCK, member_id, now)
            multiplier, spend = await conn.fetchrow(TIER_AND_SPEND, member_id, now - timedelta(days=365))
            points = points * (multiplier or 100) // 100
            entry_id, _version = await conn.fetchrow(
                CREDIT, member_id, "EARN", points, f"Purchase {order}", "purchase", f"store:bench/{order}",
                f"store:bench/{order}", now, [points], [now + timedelta(days=7)], [_months(now, 24)])
            purchase_id = await conn.fetchval(
                """INSERT INTO purchases (member_id, source, order_id, store_id, amount_cents, points_awarded,
                   entry_id, items, purchased_at, created_at) VALUES ($1, 'store:bench', $2, 'bench', $3, $4, $5,
                   $6, $7, $7) RETURNING id""", member_id, order, cents, points, entry_id,
                json.dumps([{"category": "grocery", "amountCents": cents}]), now)
            await conn.execute(RESULT, "purchase:store:bench", order, json.dumps({"purchaseId": purchase_id}))
        return _json({"purchaseId": purchase_id, "points": points, "spend": int(spend) + cents})

    async def redeem(self, request: Request) -> Response:
        member_id = self._member_of(request)
        body = orjson.loads(await request.body())
        now, reward_id, key = datetime.now(UTC), int(body["rewardId"]), body["key"]
        scope = f"redeem:{member_id}"
        async with self._pool_of().acquire() as conn, conn.transaction():
            if await conn.fetchval(CLAIM, scope, key, _hash(body), now) is None:
                return _json({"replay": True})
            reward = await conn.fetchrow(
                "SELECT name, points_price, min_tier_rank FROM rewards WHERE id = $1 AND active", reward_id)
            await conn.fetchval(LOCK, member_id, now)
            rank = await conn.fetchval("""SELECT coalesce(t.rank, 0) FROM (SELECT 1) one
                LEFT JOIN member_tiers mt ON mt.member_id = $1 LEFT JOIN tiers t ON t.id = mt.tier_id AND t.active""",
                                       member_id)
            if reward is None or rank < reward["min_tier_rank"]:
                return _json({"error": "NOT_FOUND"}, 404)
            price = reward["points_price"]
            rows = await conn.fetch(DEBIT, member_id, "REDEEM", price, f"Redeemed {reward['name']}", "redemption", now,
                                    str(reward_id), f"redeem/{member_id}/{key}")
            if rows[0][0] is None:
                raise _Abort(_json({"error": "INSUFFICIENT_POINTS"}, 409))
            redemption_id = await conn.fetchval(
                """INSERT INTO redemptions (member_id, reward_id, quantity, points_spent, voucher_code, status,
                   entry_id, created_at, expires_at) VALUES ($1, $2, 1, $3, $4, 'ISSUED', $5, $6, $7) RETURNING id""",
                member_id, reward_id, price, secrets.token_hex(6).upper(), rows[0][0], now, now + timedelta(days=30))
            stock = await conn.execute("UPDATE rewards SET stock = stock - 1 WHERE id = $1 AND "
                                       "(stock IS NULL OR stock >= 1)", reward_id)
            if stock.endswith(" 0"):
                raise _Abort(_json({"error": "OUT_OF_STOCK"}, 409))
            await conn.execute(RESULT, scope, key, json.dumps({"redemption": redemption_id}))
        return _json({"redemption": redemption_id, "pointsSpent": price})

    async def check_in(self, request: Request) -> Response:
        member_id = self._member_of(request)
        now = datetime.now(UTC)
        today = (now + timedelta(hours=8)).date()  # the program's day (Asia/Shanghai)
        async with self._pool_of().acquire() as conn, conn.transaction():
            await conn.fetchval(LOCK, member_id, now)
            days = {r[0] for r in await conn.fetch(
                "SELECT day FROM check_ins WHERE member_id = $1 AND day BETWEEN $2 AND $3",
                member_id, today - timedelta(days=40), today)}
            if today in days:
                return _json({"already": True})
            streak = 1
            while today - timedelta(days=streak) in days:
                streak += 1
            points = self.checkin_points
            if points:
                await conn.fetchrow(CREDIT, member_id, "EARN", points, "Check In", "activity:CHECK_IN",
                                    today.isoformat(), f"checkin/{member_id}/{today.isoformat()}", now, [points],
                                    [now], [_months(now, 24)])
            await conn.execute("""INSERT INTO check_ins (member_id, day, points, makeup, created_at)
                VALUES ($1, $2, $3, false, $4) ON CONFLICT DO NOTHING""", member_id, today, points, now)
        return _json({"points": points, "streak": streak})

    async def gift(self, request: Request) -> Response:
        sender = self._member_of(request)
        body = orjson.loads(await request.body())
        now, to, amount, key = datetime.now(UTC), int(body["to"]), int(body["amount"]), body["key"]
        scope = f"gift:{sender}"
        day_start = (now + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=8)
        async with self._pool_of().acquire() as conn, conn.transaction():
            if await conn.fetchval(CLAIM, scope, key, _hash(body), now) is None:
                return _json({"replay": True})
            for member_id in sorted({sender, to}):
                await conn.fetchval(LOCK, member_id, now)
            await conn.fetchval("""SELECT coalesce(sum(amount), 0) FROM points_entries WHERE member_id = $1
                AND kind = 'GIFT_OUT' AND created_at >= $2 AND created_at < $3""", sender, day_start,
                                day_start + timedelta(days=1))
            ref = f"{sender}->{to}/{key}"
            rows = await conn.fetch(DEBIT, sender, "GIFT_OUT", amount, "Gift sent", "gift", now, ref,
                                    f"gift-out/{sender}/{key}")
            if rows[0][0] is None:
                raise _Abort(_json({"error": "INSUFFICIENT_POINTS"}, 409))
            takes = [(r[1], r[2]) for r in rows if r[1] is not None]
            received, _version = await conn.fetchrow(
                CREDIT, to, "GIFT_IN", amount, "Gift received", "gift", ref, f"gift-in/{sender}/{key}", now,
                [t for t, _ in takes], [now] * len(takes), [e for _, e in takes])
            await conn.execute(RESULT, scope, key, json.dumps({"out": rows[0][0], "in": received}))
        return _json({"out": rows[0][0], "in": received})


    async def partner_earn(self, request: Request) -> Response:
        """A partner credits a linked member: the partner row (active, rates, cap), the link by the
        member's reference, the transaction id locked and looked up (its idempotency), the partner's
        daily cap locked and summed, the account locked, the credit, the partner transaction row."""
        partner_id = self._partner_of(request)
        body = orjson.loads(await request.body())
        now, ref, txn, amount = datetime.now(UTC), body["memberRef"], body["transactionId"], int(body["amount"])
        day_start = (now + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=8)
        async with self._pool_of().acquire() as conn, conn.transaction():
            partner = await conn.fetchrow("""SELECT name, partner_units, program_points, daily_earn_cap, operations,
                active FROM partners WHERE id = $1""", partner_id)
            if partner is None or not partner["active"] or "EARN" not in json.loads(partner["operations"]):
                return _json({"error": "FORBIDDEN"}, 403)
            link = await conn.fetchrow("""SELECT member_id, active FROM partner_links
                WHERE partner_id = $1 AND member_ref = $2""", partner_id, ref)
            if link is None or not link["active"]:
                return _json({"error": "NOT_FOUND"}, 404)
            member_id = link["member_id"]
            await conn.execute(ADVISORY_LOCK, _lock_key(f"partner-txn:{partner_id}:{txn}"))
            if await conn.fetchrow("SELECT id FROM partner_transactions WHERE partner_id = $1 AND txn_id = $2",
                                   partner_id, txn) is not None:
                return _json({"replay": True})
            points = amount * partner["program_points"] // partner["partner_units"]
            await conn.execute(ADVISORY_LOCK, _lock_key(f"partner-cap:{partner_id}"))
            used = await conn.fetchval("""SELECT coalesce(sum(points), 0) FROM partner_transactions
                WHERE partner_id = $1 AND kind = 'EARN' AND created_at >= $2 AND created_at < $3""",
                                       partner_id, day_start, day_start + timedelta(days=1))
            if used + points > partner["daily_earn_cap"]:
                raise _Abort(_json({"error": "LIMIT_EXCEEDED"}, 409))
            await conn.fetchval(LOCK, member_id, now)
            entry_id, _version = await conn.fetchrow(
                CREDIT, member_id, "EARN", points, f"Earned at {partner['name']}", f"partner:{partner_id}", txn,
                f"earn/{txn}", now, [points], [now], [_months(now, 24)])
            txn_row = await conn.fetchval("""INSERT INTO partner_transactions (partner_id, txn_id, kind, member_id,
                partner_amount, points, entry_id, created_at) VALUES ($1, $2, 'EARN', $3, $4, $5, $6, $7)
                RETURNING id""", partner_id, txn, member_id, amount, points, entry_id, now)
        return _json({"transaction": txn_row, "points": points})


class _Abort(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def aborting(endpoint):
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except _Abort as abort:
            return abort.response
        except asyncpg.PostgresError as exc:
            return _json({"error": type(exc).__name__}, 500)
    return run


async def checkin_points(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("""SELECT coalesce(max(points), 0) FROM earning_rules
            WHERE active AND kind = 'ACTIVITY' AND activity = 'CHECK_IN'""") or 0)
