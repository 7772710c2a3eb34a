"""The baseline: the member home payload from a minimal Starlette endpoint with hand-written SQL.

    uvicorn bench.baseline_app:create_app --factory --workers N   (DATABASE_URL, JWT_KEYS as for the app)

Same JSON as the GraphQL home query (bench/home.py HOME) for the same member, served by the same
uvicorn with the same worker count, PostgreSQL and token check, but with no GraphQL, no domain
layer, no cache and no ORM: asyncpg, five statements on one pooled connection, orjson. The ratio
GraphQL req/s / baseline req/s is then the price of everything the app adds on top of the stack.
Balances are computed from the lots every time (no Redis), as the database-only path would.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import JwtTokens
from api.settings import Settings
from bench.baseline_writes import WriteBaseline, aborting, checkin_points
from domain import cursors
from domain.auth.viewer import Role

TIERS = "SELECT id, code, name, rank, threshold_cents FROM tiers WHERE active ORDER BY rank"
MEMBER = """
SELECT m.id, m.display_name, m.member_code, mt.tier_id, a.balance,
       (SELECT coalesce(sum(amount_cents - refunded_cents), 0)::bigint FROM purchases
         WHERE member_id = m.id AND purchased_at > $2) AS spend,
       (SELECT count(*) FROM coupons
         WHERE member_id = m.id AND status = 'AVAILABLE' AND valid_until > $3) AS coupons
FROM members m
LEFT JOIN member_tiers mt ON mt.member_id = m.id
LEFT JOIN points_accounts a ON a.member_id = m.id
WHERE m.id = $1"""
LOTS = """
SELECT coalesce(sum(remaining) FILTER (WHERE available_at <= $2 AND expires_at > $2), 0)::bigint,
       coalesce(sum(remaining) FILTER (WHERE available_at > $2), 0)::bigint,
       coalesce(sum(remaining) FILTER (WHERE available_at <= $2 AND expires_at > $2 AND expires_at <= $3), 0)::bigint
FROM points_lots WHERE member_id = $1 AND remaining > 0"""
HISTORY = """
SELECT id, kind, amount, reason, created_at FROM points_entries
WHERE member_id = $1 ORDER BY created_at DESC, id DESC LIMIT 11"""
REWARDS = """
SELECT id, name, points_price FROM rewards
WHERE active AND points_price <= $1 AND (valid_from IS NULL OR valid_from <= $2)
  AND (valid_until IS NULL OR valid_until > $2)
ORDER BY points_price, id LIMIT 10"""


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def create_app() -> Starlette:
    settings = Settings.from_env()
    tokens = JwtTokens(settings)
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    pool_size = settings.db_pool_size
    state: dict[str, asyncpg.Pool] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=2, max_size=pool_size)
        writes.checkin_points = await checkin_points(state["pool"])
        yield
        await state["pool"].close()

    async def home(request: Request) -> Response:
        viewer = tokens.viewer_from_header(request.headers.get("authorization"))
        if viewer.role is not Role.MEMBER or viewer.subject_id is None:
            return Response(orjson.dumps({"errors": [{"message": "sign in"}]}), 401, media_type="application/json")
        member_id, now = viewer.subject_id, datetime.now(UTC)
        async with state["pool"].acquire() as conn:
            tiers = await conn.fetch(TIERS)
            m = await conn.fetchrow(MEMBER, member_id, now - timedelta(days=365), now)
            available, pending, expiring = await conn.fetchrow(LOTS, member_id, now, now + timedelta(days=30))
            history = await conn.fetch(HISTORY, member_id)
            rewards = await conn.fetch(REWARDS, available, now)
        current = next((t for t in tiers if t["id"] == m["tier_id"]), tiers[0])
        upcoming = next((t for t in tiers if t["rank"] > current["rank"]), None)
        data = {
            "me": {
                "id": str(m["id"]), "displayName": m["display_name"], "memberCode": m["member_code"],
                "tier": {
                    "current": {"code": current["code"], "name": current["name"]},
                    "next": {"code": upcoming["code"], "thresholdCents": upcoming["threshold_cents"]}
                    if upcoming else None,
                    "progress": {"amountInWindowCents": m["spend"],
                                 "spendToNextCents": max(0, upcoming["threshold_cents"] - m["spend"])
                                 if upcoming else 0},
                },
                "points": {"available": available, "pending": pending, "expiringSoon": expiring},
                "pointsHistory": {
                    "edges": [{"node": {"id": str(e["id"]), "kind": e["kind"], "amount": e["amount"],
                                        "reason": e["reason"], "createdAt": _ts(e["created_at"])}}
                              for e in history[:10]],
                    "pageInfo": {"hasNextPage": len(history) > 10,
                                 "endCursor": cursors.encode(history[9]["created_at"], history[9]["id"])
                                 if len(history) > 10 else None},
                },
                "availableCouponsCount": m["coupons"],
            },
            "rewards": {"edges": [{"node": {"id": str(r["id"]), "name": r["name"], "pointsPrice": r["points_price"]}}
                                  for r in rewards]},
        }
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    async def ready(_request: Request) -> Response:
        async with state["pool"].acquire() as conn:
            await conn.fetchval("SELECT 1")
        return Response(b'{"status":"ok"}', media_type="application/json")

    def member_of(request: Request) -> int:
        viewer = tokens.viewer_from_header(request.headers.get("authorization"))
        if viewer.role is not Role.MEMBER or viewer.subject_id is None:
            raise PermissionError("sign in")
        return viewer.subject_id

    def partner_of(request: Request) -> int:
        viewer = tokens.viewer_from_header(request.headers.get("authorization"))
        if viewer.role is not Role.PARTNER or viewer.subject_id is None:
            raise PermissionError("partner token needed")
        return viewer.subject_id

    writes = WriteBaseline(lambda: state["pool"], member_of, partner_of=partner_of)
    write_routes = [Route(f"/{name}", aborting(getattr(writes, name.replace("-", "_"))), methods=["POST"])
                    for name in ("earn", "redeem", "check-in", "gift", "partner-earn")]
    return Starlette(routes=[Route("/home", home, methods=["POST"]), Route("/readyz", ready), *write_routes],
                     lifespan=lifespan)
