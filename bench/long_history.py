"""Earning for a member with a long history against earning for a fresh member (issue 19: within
1.2x). One client each, one request at a time, so the figure is the cost of one purchase, not of a
queue on the member's account lock; the same POS token, the same ¥1 purchase."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from api.auth import JwtTokens
from bench.home import graphql_body
from bench.writes import EARN
from domain.auth.staff import create_staff
from domain.auth.viewer import Role, StaffGrant

HEAVY_LABEL = "earn, long history"
FRESH_LABEL = "earn, fresh member"
TARGET = 1.2


async def long_history_scenarios(container, heavy_member: int, fresh_member: int) -> dict[str, list[dict]]:
    now = datetime.now(UTC)
    staff = await create_staff(container.uow(), "bench-pos-history", "bench-pos-password-1", "Bench POS 2", now)
    # Valid for the whole run: the write scenarios before this one outlast the default 15 minutes.
    token = JwtTokens(replace(container.settings, access_ttl_seconds=86_400)).issue_access(
        Role.STAFF, staff.id, now, staff=StaffGrant(staff.role, staff.version)).token
    return {
        FRESH_LABEL: [{"token": token, "body": graphql_body(EARN, {"m": str(fresh_member), "k": "%KEY%"})}],
        HEAVY_LABEL: [{"token": token, "body": graphql_body(EARN, {"m": str(heavy_member), "k": "%KEY%"})}],
    }
