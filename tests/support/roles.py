"""Tokens for the other roles: an operator signed in for real, a partner credential minted."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from domain.auth.staff import create_staff
from domain.auth.viewer import Role, StaffRole
from domain.partners.model import Partner
from tests.support.client import ApiClient

STAFF_SIGN_IN = "mutation($u: String!, $p: String!) { signInStaff(username: $u, password: $p) { accessToken role } }"


async def staff_token(api: ApiClient, username: str = "ops-anna", password: str = "correct horse battery",
                      role: StaffRole = StaffRole.HQ_ADMIN, stores: Sequence[str] = ()) -> str:
    await create_staff(api.container.uow(), username, password, "Anna (ops)", api.container.now(), role, stores)
    data = await api.data(STAFF_SIGN_IN, {"u": username, "p": password})
    assert data["signInStaff"]["role"] == "STAFF"
    return data["signInStaff"]["accessToken"]


async def partner_token(api: ApiClient) -> str:
    """A token of a real (active) partner: tokens of unknown or deactivated partners are refused at the door."""
    async with api.container.uow() as uow:
        partner = await uow.partners.save(Partner(0, "测试伙伴", f"pc_{secrets.token_hex(8)}", [], 1, 1, 100, 100))
        await uow.commit()
    return api.container.tokens.issue_access(Role.PARTNER, partner.id, api.container.now()).token
