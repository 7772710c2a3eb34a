"""Where an order comes from: the identity a POS or partner call is made under. Orders (and coupon
redemptions on them) are unique per source, so this belongs with who is calling, not with points."""

from __future__ import annotations

from domain.auth.viewer import Role, Viewer


def purchase_source(viewer: Viewer, store_id: str) -> str:
    """A store (staff/POS) or a partner credential."""
    role = viewer.require_staff_or_partner()
    if role is Role.PARTNER:
        return f"partner:{viewer.subject_id}"
    return f"store:{store_id}"
