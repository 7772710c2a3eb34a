"""The operator KPI report, read from the daily rollups (domain/kpis/rollups.py) so its cost grows
with the days and stores in the period, not with members or orders.

Definitions (also in README "Operator KPIs from daily rollups"):
- Sales count every order placed in the period (purchase time), refunded or not; refunds count on
  the day they were made. Net sales = sales - refunds. Average order value = sales / orders; its
  trend compares it with the period of the same length just before (and `days` holds it per day).
- Items per order (连带销售系数) = units (line quantities) / orders.
- Purchase frequency = orders / members who bought in the period (distinct members do not add up
  across days: read from the member-day rollups, one row per member active on a day).
- Conversion: of the members who joined in the period, those whose first purchase ever falls in
  the period.
- Points issued = EARN credits; redeemed = REDEEM debits; outstanding = every ledger amount up to
  the end of the period (pending points included), valued at the program's point value.
- LTV: per join month overlapping the period, the cohort's net spend from joining to the end of
  the period, per member of the cohort.
- Coupon use rate per template and campaign (how it was issued) = coupons redeemed in the period /
  coupons issued in the period (flows, not the fate of each coupon issued).
- Tiers: the tier the buyer held just before the order.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from domain.deps import Deps
from domain.kpis.operator_model import CohortValue, CouponUse, KpiDay, OperatorKpis, SalesSlice, TierSales
from domain.kpis.period import KpiReport, Period, basis_points, per, report_period
from domain.kpis.rollup_model import Metric
from domain.kpis.rollups import BASE_TIER
from domain.offers.model import CouponTemplate
from domain.points.model import EntryKind
from domain.program.services import load_settings
from domain.tiers.model import Tier
from domain.tiers.rules import ladder

SALES = [Metric.ORDERS, Metric.SALES_CENTS, Metric.UNITS, Metric.REFUND_CENTS]
CHANNEL_SALES = [Metric.CHANNEL_ORDERS, Metric.CHANNEL_SALES_CENTS, Metric.CHANNEL_UNITS, Metric.CHANNEL_REFUND_CENTS]
AS_SALES = dict(zip(CHANNEL_SALES, SALES, strict=True))
# Totals and the daily series add up the channel rows: a handful a day, where stores may be hundreds.
DAILY = [*CHANNEL_SALES, Metric.NEW_MEMBERS, Metric.FIRST_PURCHASES]
EPOCH = date(1970, 1, 1)


# One command and one period parser for both reports (domain/kpis/period.py).
OperatorKpiReport = KpiReport


async def operator_kpis(cmd: KpiReport, deps: Deps) -> OperatorKpis:
    period = report_period(cmd, deps)
    uow, now, zone = deps.uow, deps.clock.now(), period.zone
    length = (period.to_day - period.from_day).days + 1
    before_to = period.from_day - timedelta(days=1)
    before_from = before_to - timedelta(days=length - 1)
    async with uow.read_only():
        rolled = await uow.kpi_rollups.rolled_days(period.from_day, period.to_day)
        sums = await uow.kpi_rollups.sums(period.from_day, period.to_day, [
            *SALES, *CHANNEL_SALES, Metric.TIER_ORDERS, Metric.TIER_SALES_CENTS, Metric.TIER_REFUND_CENTS,
            Metric.NEW_MEMBERS, Metric.FIRST_PURCHASES, Metric.POINTS_CREDITED, Metric.POINTS_DEBITED,
            Metric.COUPONS_ISSUED, Metric.COUPONS_REDEEMED, Metric.COUPON_DISCOUNT_CENTS])
        previous = await uow.kpi_rollups.sums(before_from, before_to,
                                              [Metric.CHANNEL_ORDERS, Metric.CHANNEL_SALES_CENTS])
        daily = await uow.kpi_rollups.daily(period.from_day, period.to_day, DAILY)
        daily += await uow.kpi_rollups.daily(period.from_day, period.to_day, [Metric.POINTS_CREDITED],
                                             EntryKind.EARN.value)
        daily += await uow.kpi_rollups.daily(period.from_day, period.to_day, [Metric.POINTS_DEBITED],
                                             EntryKind.REDEEM.value)
        ledger = await uow.kpi_rollups.sums(EPOCH, period.to_day, [Metric.POINTS_CREDITED, Metric.POINTS_DEBITED])
        cohort_spend = await uow.kpi_rollups.sums(EPOCH, period.to_day, [Metric.COHORT_NET_CENTS])
        joins = await uow.kpi_rollups.daily(period.from_day.replace(day=1), period.to_day, [Metric.NEW_MEMBERS])
        purchasing = (await uow.kpi_rollups.member_counts(period.from_day, period.to_day)).purchasing
        settings = await load_settings(uow)
        tiers = await uow.tiers.tiers()
        template_ids = sorted({int(d1) for m, d1, _d2, _v in sums
                               if m in (Metric.COUPONS_ISSUED, Metric.COUPONS_REDEEMED)})
        templates = await uow.coupons.templates(template_ids) if template_ids else {}

    total: dict[str, int] = defaultdict(int)
    for metric, _d1, _d2, value in sums:
        if metric not in SALES:  # the store rows add up to the channel rows; count one of them
            total[AS_SALES.get(metric, metric)] += value  # type: ignore[call-overload]
    prev: dict[str, int] = defaultdict(int)
    for metric, _d1, _d2, value in previous:
        prev[AS_SALES[Metric(metric)]] += value
    orders, sales = total[Metric.ORDERS], total[Metric.SALES_CENTS]
    aov = per(sales, orders)
    prev_aov = per(prev[Metric.SALES_CENTS], prev[Metric.ORDERS])
    credited = _by_dim(sums, Metric.POINTS_CREDITED)
    debited = _by_dim(sums, Metric.POINTS_DEBITED)
    issued, redeemed = credited.get(EntryKind.EARN.value, 0), debited.get(EntryKind.REDEEM.value, 0)
    outstanding = (sum(v for m, _a, _b, v in ledger if m == Metric.POINTS_CREDITED)
                   - sum(v for m, _a, _b, v in ledger if m == Metric.POINTS_DEBITED))
    value_per_100 = settings.point_value_cents_per_100_points
    joined_in_period = {day.isoformat() for day in period.days()}
    converted = sum(v for m, d1, _d2, v in sums if m == Metric.FIRST_PURCHASES and d1 in joined_in_period)
    return OperatorKpis(
        from_day=period.from_day, to_day=period.to_day, time_zone=zone.key, as_of=now,
        days_rolled_up=len(rolled), last_rolled_at=max((at for _d, at in rolled), default=None),
        first_missing_day=next((d for d in period.days() if d not in {day for day, _at in rolled}), None),
        orders=orders, sales_cents=sales, refund_cents=total[Metric.REFUND_CENTS],
        net_sales_cents=sales - total[Metric.REFUND_CENTS], units=total[Metric.UNITS],
        average_order_cents=aov, previous_average_order_cents=prev_aov,
        average_order_change_bp=basis_points(aov - prev_aov, prev_aov) if aov is not None and prev_aov else None,
        units_per_order_hundredths=per(total[Metric.UNITS], orders, 100),
        purchasing_members=purchasing, purchase_frequency_hundredths=per(orders, purchasing, 100),
        new_members=total[Metric.NEW_MEMBERS], converted_members=converted,
        conversion_rate_bp=basis_points(converted, total[Metric.NEW_MEMBERS]),
        points_issued=issued, points_redeemed=redeemed, redeemed_to_issued_bp=basis_points(redeemed, issued),
        points_outstanding=outstanding, point_value_cents_per_100_points=value_per_100,
        # Whole cents, rounded down: the liability is stated, not billed.
        liability_cents=outstanding * value_per_100 // 100,
        days=_days(daily),
        stores=_slices(sums, {m: m for m in SALES}, orders, sales),
        channels=_slices(sums, AS_SALES, orders, sales),
        tiers=_tiers(sums, tiers, orders, sales),
        cohorts=_cohorts(period, joins, cohort_spend),
        coupons=_coupons(sums, templates),
    )


def _by_dim(sums: list[tuple[str, str, str, int]], metric: Metric) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for m, d1, _d2, v in sums:
        if m == metric:
            out[d1] += v
    return out


def _days(daily: list[tuple[date, str, int]]) -> list[KpiDay]:
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, metric, value in daily:
        by_day[day][AS_SALES.get(metric, metric)] = value  # type: ignore[call-overload]
    # Points credited here are EARN only (issued), debited REDEEM only (redeemed): see operator_kpis.
    return [KpiDay(day, v[Metric.ORDERS], v[Metric.SALES_CENTS], v[Metric.REFUND_CENTS], v[Metric.UNITS],
                   per(v[Metric.SALES_CENTS], v[Metric.ORDERS]), v[Metric.NEW_MEMBERS], v[Metric.FIRST_PURCHASES],
                   v[Metric.POINTS_CREDITED], v[Metric.POINTS_DEBITED])
            for day, v in sorted(by_day.items())]


def _slices(sums: list[tuple[str, str, str, int]], metrics: dict[Metric, Metric], orders: int,
            sales: int) -> list[SalesSlice]:
    keyed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for metric, d1, _d2, value in sums:
        if metric in metrics:
            keyed[d1][metrics[metric]] += value  # type: ignore[index]
    slices = [_slice(key, v, orders, sales) for key, v in keyed.items()]
    return sorted(slices, key=lambda s: (-s.sales_cents, s.key))


def _slice(key: str, v: dict[str, int], orders: int, sales: int) -> SalesSlice:
    return SalesSlice(key, v[Metric.ORDERS], v[Metric.SALES_CENTS], v[Metric.REFUND_CENTS], v[Metric.UNITS],
                      per(v[Metric.SALES_CENTS], v[Metric.ORDERS]), per(v[Metric.UNITS], v[Metric.ORDERS], 100),
                      basis_points(v[Metric.SALES_CENTS], sales), basis_points(v[Metric.ORDERS], orders))


def _tiers(sums: list[tuple[str, str, str, int]], tiers: list[Tier], orders: int, sales: int) -> list[TierSales]:
    keyed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str, Metric] = {Metric.TIER_ORDERS: Metric.ORDERS, Metric.TIER_SALES_CENTS: Metric.SALES_CENTS,
             Metric.TIER_REFUND_CENTS: Metric.REFUND_CENTS}
    for metric, d1, _d2, value in sums:
        if metric in names:
            keyed[d1][names[metric]] += value
    ranked = ladder(tiers)
    base_id = str(ranked[0].id) if ranked else BASE_TIER
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, v in keyed.items():  # the base tier is named by its id, like the others
        for metric, value in v.items():
            merged[base_id if key == BASE_TIER else key][metric] += value
    by_id = {str(t.id): t for t in tiers}
    out = [TierSales(by_id.get(key), int(key) if key else None, _slice(key, v, orders, sales))
           for key, v in merged.items()]
    return sorted(out, key=lambda t: (t.tier.rank if t.tier else 10**9, t.slice.key))


def _cohorts(period: Period, joins: list[tuple[date, str, int]],
             spend: list[tuple[str, str, str, int]]) -> list[CohortValue]:
    sizes: dict[str, int] = defaultdict(int)
    for day, _metric, value in joins:
        sizes[day.strftime("%Y-%m")] += value
    net = {d1: v for _m, d1, _d2, v in spend}
    months = [m.first_day for m in period.months()]
    return [CohortValue(m, sizes[m.strftime("%Y-%m")], net.get(m.strftime("%Y-%m"), 0),
                        per(net.get(m.strftime("%Y-%m"), 0), sizes[m.strftime("%Y-%m")]))
            for m in months]


def _coupons(sums: list[tuple[str, str, str, int]], templates: dict[int, CouponTemplate]) -> list[CouponUse]:
    keyed: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for metric, d1, d2, value in sums:
        if metric in (Metric.COUPONS_ISSUED, Metric.COUPONS_REDEEMED, Metric.COUPON_DISCOUNT_CENTS):
            keyed[(d1, d2)][metric] += value
    out = []
    for (template, campaign), v in keyed.items():
        t = templates.get(int(template))
        out.append(CouponUse(int(template), t.name if t else "", campaign, v[Metric.COUPONS_ISSUED],
                             v[Metric.COUPONS_REDEEMED],
                             basis_points(v[Metric.COUPONS_REDEEMED], v[Metric.COUPONS_ISSUED]),
                             v[Metric.COUPON_DISCOUNT_CENTS]))
    return sorted(out, key=lambda c: (c.template_id, c.campaign))
