"""The segments job (`cli compute-segments`): RFM rows per window and lifecycle stages for every
member, in batches of members by id; then the quintiles, ranked in SQL over each whole window.

Idempotent: for the same `now` a rerun writes the same rows and records no stage change twice
(a stage change is recorded only when the stored stage differs). Batches take one named lock so two
runs at once take turns batch by batch instead of both recording the same change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from domain.ports import UnitOfWork
from domain.program.services import load_settings
from domain.segments.lifecycle import LifecycleRules, stage_for
from domain.segments.model import Lifecycle, RfmScore, StageChange
from domain.segments.ports import PurchaseItems, PurchaseTotals
from domain.segments.rfm import recency_days, top_categories, trend_bp


def window_rows(window_days: int, totals: Mapping[int, PurchaseTotals], items: list[PurchaseItems],
                now: datetime) -> list[RfmScore]:
    since = now - timedelta(days=window_days)
    bought: dict[int, list[dict[str, object]]] = defaultdict(list)
    for purchase in items:
        if since < purchase.purchased_at <= now:
            bought[purchase.member_id].extend(purchase.items)
    rows = []
    for member_id, t in totals.items():
        w = t.windows.get(window_days)
        if w is None or w.frequency == 0 or t.last_purchase_at is None:
            continue
        rows.append(RfmScore(member_id, window_days, t.last_purchase_at, recency_days(t.last_purchase_at, now),
                             w.frequency, w.monetary_cents, w.previous_monetary_cents,
                             trend_bp(w.monetary_cents, w.previous_monetary_cents), 0, 0, 0,
                             top_categories(bought[member_id])))
    return rows


async def compute_segments(new_uow: Callable[[], UnitOfWork], now: datetime, batch: int = 1_000,
                           progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """progress(members just done, total members) after each batch."""
    async with new_uow() as uow:
        settings = await load_settings(uow)
        total = await uow.segments.count_members()
    rules = LifecycleRules.from_settings(settings)
    windows = settings.rfm_windows
    counts = {"members": 0, "stageChanges": 0}
    longest = max(windows)
    after = 0
    while True:
        async with new_uow() as uow:
            await uow.lock("compute-segments")
            members = await uow.segments.members_after(after, batch)
            if not members:
                break
            first, last = members[0][0], members[-1][0]
            batch_ids = {m for m, _ in members}
            # The id range also spans members the job skips (erased ones keep their purchases for the books).
            totals = {m: t for m, t in (await uow.segments.purchase_totals(first, last, now, windows)).items()
                      if m in batch_ids}
            items = await uow.segments.purchase_items(first, last, now - timedelta(days=longest), now)
            for window_days in windows:
                await uow.segments.save_rfm(first, last, window_days, window_rows(window_days, totals, items, now),
                                            now)
            stored = await uow.segments.lifecycles([m for m, _ in members])
            changed: list[Lifecycle] = []
            changes: list[StageChange] = []
            for member_id, joined_at in members:
                last_purchase = totals[member_id].last_purchase_at if member_id in totals else None
                before = stored.get(member_id)
                stage = stage_for(rules, joined_at, last_purchase, before, now)
                if before is None or before.stage is not stage:
                    changed.append(Lifecycle(member_id, stage, now, last_purchase))
                    changes.append(StageChange(member_id, before.stage if before else None, stage, now))
                elif before.last_purchase_at != last_purchase:
                    changed.append(replace(before, last_purchase_at=last_purchase))
            await uow.segments.save_lifecycles(changed, changes, now)
            await uow.commit()
        counts["members"] += len(members)
        counts["stageChanges"] += len(changes)
        after = last
        if progress:
            progress(len(members), total)
    async with new_uow() as uow:
        await uow.lock("compute-segments")
        # Scores of a window staff have since dropped would answer segments nobody can select any more.
        await uow.segments.drop_windows_except(windows)
        for window_days in windows:
            counts[f"scored{window_days}d"] = await uow.segments.rank_window(window_days)
        await uow.commit()
    return counts
