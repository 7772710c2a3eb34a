"""Where an order comes from: the identity a POS call is made under. Orders (and coupon
redemptions on them) are unique per source, so this belongs with who is calling, not with points."""

from __future__ import annotations

from domain.auth.viewer import Viewer


def purchase_source(viewer: Viewer, store_id: str) -> str:
    """Orders are unique per store, and only staff (the POS) record them. Partners move points
    through partnerEarn / partnerBurn, which hold them to linked members, caps and their rate
    limit; a partner token here could credit any member. (Rows recorded before this rule keep
    their `partner:<id>` source.)"""
    viewer.require_staff()
    return f"store:{store_id}"
