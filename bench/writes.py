"""The write scenarios (issue 19): each GraphQL mutation and the same writes by the hand-written
baseline (bench/baseline_writes.py), over HTTP against the same PostgreSQL, in the same run.

Who writes: earning is a POS (a staff token) buying ¥1 for ordinary members; redemptions and gifts
come from the 64 members with the most points; check-ins from members nobody else touches in the
run, a separate half for each server (a second check-in the same day is a cheaper no-op); partner earn
is a partner brand (its own token) crediting 300 members who linked it with consent, by their
member reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import orjson
from sqlalchemy import text

from api.auth import JwtTokens
from bench.home import CHECK_IN, REDEEM, graphql_body
from domain.auth.staff import create_staff
from domain.auth.viewer import Role, StaffGrant, StaffRole, Viewer
from domain.partners.model import Partner
from domain.partners.services import create_partner, link_partner

# The idempotency key (order id) travels as a variable, as a real client sends it: a literal makes
# every document unique, so each request would be parsed and validated afresh (about half the
# CPU of an earn in bench/profile_writes.py).
EARN = """mutation Earn($m: ID!, $k: String!) { recordPurchase(input: {member: {id: $m}, orderId: $k, storeId: "bench",
  amountCents: 100, items: [{category: "grocery", amountCents: 100}]}) { pointsEarned purchase { id } } }"""
PARTNER_EARN = """mutation PartnerEarn($ref: String!, $k: String!) {
  partnerEarn(memberRef: $ref, transactionId: $k, partnerAmount: 250) { transactionId points } }"""
GIFT = """mutation Gift($to: ID!, $k: String!) {
  giftPoints(input: {recipient: {id: $to}, amount: 1, idempotencyKey: $k}) { entry { id amount } } }"""

# Statements each baseline request sends (counted in bench/baseline_writes.py), for the sql/req column.
BASELINE_STATEMENTS = {"earn": 6, "redeem, hot reward": 8, "redeem, spread rewards": 8, "check-in (write)": 4,
                       "gift": 7, "partner earn": 9}


def _body(data: dict) -> str:
    return orjson.dumps(data).decode()


async def write_scenarios(container, member_token: Callable[[int], str], everyone: list[int], heavy: set[int],
                          used: set[int], redeemers: list[int], hot_reward_id: int
                          ) -> dict[str, tuple[list[dict], str, list[dict]]]:
    """label -> (GraphQL requests, baseline path, baseline requests)."""
    now = datetime.now(UTC)
    # A store clerk at the till of store "bench" (the token carries its role and account version).
    staff = await create_staff(container.uow(), "bench-pos", "bench-pos-password-0", "Bench POS", now,
                               role=StaffRole.STORE_CLERK, store_ids=["bench"])
    # Tokens for the whole run (the default 15 minutes would end before the write scenarios do).
    tokens = JwtTokens(replace(container.settings, access_ttl_seconds=86_400))
    staff_token = tokens.issue_access(Role.STAFF, staff.id, now, staff=StaffGrant(staff.role, staff.version)).token
    rest = [m for m in everyone if m not in heavy and m not in used and m not in set(redeemers)]
    buyers, rest = rest[:500], rest[500:]
    partner_members, rest = rest[:PARTNER_MEMBERS], rest[PARTNER_MEMBERS:]
    half = len(rest) // 2
    app_checkins, base_checkins = rest[:half], rest[half:]
    async with container.engine.connect() as conn:
        spread = [r[0] for r in await conn.execute(text(
            "SELECT id FROM rewards WHERE id <> :hot AND points_price <= 500 ORDER BY id"), {"hot": hot_reward_id})]
    await _top_up(container, redeemers, now)
    scenarios: dict[str, tuple[list[dict], str, list[dict]]] = {}
    scenarios["earn"] = (
        [{"token": staff_token, "body": graphql_body(EARN, {"m": str(m), "k": "%KEY%"})} for m in buyers], "/earn",
        [{"token": staff_token, "body": _body({"memberId": m, "orderId": "%KEY%", "amountCents": 100})}
         for m in buyers])
    for label, rewards in (("redeem, hot reward", [hot_reward_id]), ("redeem, spread rewards", spread)):
        pairs = [(m, rewards[i % len(rewards)]) for i, m in enumerate(redeemers)]
        scenarios[label] = (
            [{"token": member_token(m), "body": graphql_body(REDEEM, {"r": str(r), "k": "%KEY%"})}
             for m, r in pairs], "/redeem",
            [{"token": member_token(m), "body": _body({"rewardId": r, "key": "%KEY%"})} for m, r in pairs])
    scenarios["check-in (write)"] = (
        [{"token": member_token(m), "body": graphql_body(CHECK_IN)} for m in app_checkins], "/check-in",
        [{"token": member_token(m), "body": "{}"} for m in base_checkins])
    gifts = [(m, buyers[i % len(buyers)]) for i, m in enumerate(redeemers)]
    scenarios["gift"] = (
        [{"token": member_token(m), "body": graphql_body(GIFT, {"to": str(to), "k": "%KEY%"})}
         for m, to in gifts], "/gift",
        [{"token": member_token(m), "body": _body({"to": to, "amount": 1, "key": "%KEY%"})} for m, to in gifts])
    partner_id, refs = await _partner_with_links(container, staff.id, partner_members, now)
    partner_token = tokens.issue_access(Role.PARTNER, partner_id, now).token
    scenarios["partner earn"] = (
        [{"token": partner_token, "body": graphql_body(PARTNER_EARN, {"ref": ref, "k": "%KEY%"})} for ref in refs],
        "/partner-earn",
        [{"token": partner_token, "body": _body({"memberRef": ref, "transactionId": "%KEY%", "amount": 250})}
         for ref in refs])
    return scenarios


PARTNER_MEMBERS = 300


async def _partner_with_links(container, staff_id: int, members: list[int], now: datetime) -> tuple[int, list[str]]:
    """A partner brand (100 of its units = 40 points, a cap no run reaches) and members who linked it
    with consent to share their phone, through the use cases (as staff and members would)."""
    created = await create_partner(container.uow(), Viewer(Role.STAFF, staff_id), Partner(
        0, "Bench Coffee", "", [], partner_units=100, program_points=40, daily_earn_cap=10**12,
        daily_burn_cap=10**12), now)
    refs = []
    for member_id in members:
        link = await link_partner(container.uow(), Viewer(Role.MEMBER, member_id), created.partner.id, True, now)
        refs.append(link.member_ref)
    return created.partner.id, refs


TOP_UP = 1_000_000


async def _top_up(container, members: list[int], now: datetime) -> None:
    """Enough points that no redemption or gift of the run is refused (the books stay balanced:
    entry, lot and account move together), so both servers do the full work every time."""
    async with container.engine.begin() as conn:
        await conn.execute(text("""
            WITH e AS (
              INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, idempotency_key,
                                          details, created_at)
              SELECT m, 'ADJUST', :p, 'bench top-up', 'bench', 'top-up', 'bench-top-up/' || m, '{}',
                     CAST(:now AS timestamptz) - interval '1 day'
              FROM unnest(CAST(:ms AS bigint[])) AS m RETURNING id, member_id
            ), l AS (
              INSERT INTO points_lots (member_id, entry_id, original, remaining, earned_at, available_at, expires_at)
              SELECT member_id, id, :p, :p, CAST(:now AS timestamptz) - interval '1 day',
                     CAST(:now AS timestamptz) - interval '1 day', CAST(:now AS timestamptz) + interval '300 days'
              FROM e
            )
            UPDATE points_accounts SET balance = balance + :p, version = version + 1
            WHERE member_id = ANY(CAST(:ms AS bigint[]))"""), {"ms": members, "p": TOP_UP, "now": now})
