"""A member's qualifying spend for tiers: purchases less their refunds, by when each purchase was
made (`purchased_at`, not when it was recorded), after a moment (the start of the rolling window).

One statement for both readers, the upgrade decision (`SqlPurchaseRepository.spend_since`) and the
progress display (`SqlTierRepository.member_tier_and_spend`), so the two cannot drift apart. Built
once: the tier progress is on every home screen (see points_repo)."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from domain.store.tables import purchases

MEMBER = bindparam("member_id", type_=purchases.c.member_id.type)
SINCE = bindparam("since", type_=purchases.c.purchased_at.type)

QUALIFYING_SPEND = select(
    func.coalesce(func.sum(purchases.c.amount_cents - purchases.c.refunded_cents), 0).label("spend")
).where(purchases.c.member_id == MEMBER, purchases.c.purchased_at > SINCE)
