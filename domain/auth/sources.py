"""Where an order comes from: the identity a POS call is made under. Orders (and coupon
redemptions on them) are unique per source, so this belongs with who is calling, not with points."""

from __future__ import annotations

import re

from domain.auth.viewer import Viewer

STORE_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")  # what a POS sends as its store id


def purchase_source(viewer: Viewer, store_id: str) -> str:
    """Orders are unique per store, and only staff (the POS) record them. Partners move points
    through partnerEarn / partnerBurn, which hold them to linked members, caps and their rate
    limit; a partner token here could credit any member. (Rows recorded before this rule keep
    their `partner:<id>` source.)"""
    viewer.require_store(store_id)  # a clerk records only at the stores assigned to them
    return f"store:{store_id}"
