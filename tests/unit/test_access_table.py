"""The access table's answers: who is refused, with which code and reason."""

from __future__ import annotations

import pytest

from domain.auth.access import MUTATION, QUERY, authorize
from domain.auth.viewer import Role, Viewer
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
