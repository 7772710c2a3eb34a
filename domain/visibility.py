"""Whether a viewer may read one member's own records, as a yes/no for lists that drop what is hidden
(`nodes`), where the single-record reads raise NOT_FOUND instead."""

from __future__ import annotations

from domain.auth.viewer import Viewer
from domain.errors import NotFound


def reads_member(viewer: Viewer, member_id: int) -> bool:
    """The member themself or staff; anyone unauthenticated or not a member is refused as in
    `require_self_or_staff`, so a hidden record and a refused caller stay different answers."""
    try:
        viewer.require_self_or_staff(member_id)
    except NotFound:
        return False
    return True
