"""The per-store report: orders, sales, refunds, points earned and coupons/vouchers used at one
store over whole program-local days. Store scope: a clerk reads only their assigned stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from domain.auth.sources import STORE_ID
from domain.deps import Deps
from domain.errors import BadUserInput
from domain.kpis.period import Period
from domain.stores.ports import StoreFigures


@dataclass(frozen=True)
class StoreReport:
    store_id: str
    from_day: date
    to_day: date
    time_zone: str
    figures: StoreFigures


@dataclass(frozen=True)
class StoreReportQuery:
    store_id: str
    from_day: date
    to_day: date


async def store_report(cmd: StoreReportQuery, deps: Deps) -> StoreReport:
    uow, now, zone = deps.uow, deps.clock.now(), deps.clock.zone
    assert isinstance(zone, ZoneInfo)
    if not STORE_ID.fullmatch(cmd.store_id):
        raise BadUserInput.for_field("storeId", "Use 1-64 letters, digits or . _ : -")
    deps.viewer.require_store(cmd.store_id)
    period = Period.of(cmd.from_day, cmd.to_day, now.astimezone(zone).date(), zone)
    async with uow.read_only():
        figures = await uow.store_reports.figures(cmd.store_id, period.start, period.end)
    return StoreReport(cmd.store_id, period.from_day, period.to_day, zone.key, figures)
