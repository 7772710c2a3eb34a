"""The access table's answers: who is refused, with which code and reason."""

from __future__ import annotations

import pytest

from domain.auth.access import MUTATION, QUERY, STAFF, Caller, Scope, _a, authorize
from domain.auth.viewer import Role, StaffRole, Viewer
from domain.errors import Forbidden, Unauthenticated


def test_an_expired_token_still_signs_in_but_is_told_why_elsewhere() -> None:
    expired = Viewer.rejected("The access token has expired; refresh the session.", "TOKEN_EXPIRED")
    authorize(MUTATION["signIn"], expired)
    with pytest.raises(Unauthenticated) as refused:
        authorize(QUERY["me"], expired)
    assert refused.value.details == {"reason": "TOKEN_EXPIRED"}


@pytest.mark.parametrize(("field", "viewer"), [
    (MUTATION["recordPurchase"], Viewer(Role.PARTNER, 1)),
    (QUERY["feed"], Viewer(Role.PARTNER, 1)),
    (QUERY["partnerMember"], Viewer(Role.MEMBER, 1)),
    (MUTATION["adjustPoints"], Viewer(Role.MEMBER, 1)),
    (QUERY["me"], Viewer(Role.STAFF, 1)),
])
def test_signed_in_callers_of_another_role_are_forbidden(field, viewer) -> None:
    with pytest.raises(Forbidden, match=r"^Only "):
        authorize(field, viewer)


def test_a_staff_field_without_roles_is_for_hq_admins_only() -> None:
    """The default rule for fields other helpers add: declared for STAFF, no roles named."""
    field = _a(STAFF, Scope.STORE)
    assert field.admits(Caller.STAFF, StaffRole.HQ_ADMIN)
    for role in set(StaffRole) - {StaffRole.HQ_ADMIN}:
        with pytest.raises(Forbidden, match="HQ_ADMIN"):
            authorize(field, Viewer(Role.STAFF, 1, staff_role=role))
    assert not field.admits(Caller.STAFF, None), "a staff token without a role gets nothing"


def test_what_anyone_may_call_every_staff_role_may() -> None:
    for role in StaffRole:
        authorize(QUERY["tiers"], Viewer(Role.STAFF, 1, staff_role=role))


def test_a_clerk_is_refused_a_field_of_another_staff_role() -> None:
    with pytest.raises(Forbidden):
        authorize(MUTATION["saveTier"], Viewer(Role.STAFF, 1, staff_role=StaffRole.STORE_CLERK))
    authorize(MUTATION["recordPurchase"], Viewer(Role.STAFF, 1, staff_role=StaffRole.STORE_CLERK))
