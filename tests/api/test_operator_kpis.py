"""operatorKpis, read from the daily rollups, against figures this test works out itself from the raw
rows (read back from the database, in plain Python); the rollup job is idempotent; staff only."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from math import floor
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, text

from domain.kpis.rollups import rollup_kpis
from domain.store.tables import (
    coupon_templates,
    coupons,
    kpi_daily_rollups,
    members,
    points_entries,
    purchases,
    refunds,
    tier_changes,
)
from domain.tiers.services import list_tiers
from tests.support.activity_data import generate
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

REPORT = """query($f: Date!, $t: Date!) { operatorKpis(from: $f, to: $t) {
  from to daysRolledUp firstMissingDay orders salesCents refundCents netSalesCents units averageOrderCents
  previousAverageOrderCents averageOrderChangeBp unitsPerOrderHundredths purchasingMembers
  purchaseFrequencyHundredths newMembers convertedMembers conversionRateBp pointsIssued pointsRedeemed
  redeemedToIssuedBp pointsOutstanding pointValueCentsPer100Points liabilityCents
  days { day orders salesCents refundCents units averageOrderCents newMembers firstPurchases pointsIssued
         pointsRedeemed }
  stores { key orders salesCents refundCents units averageOrderCents unitsPerOrderHundredths salesShareBp
           orderShareBp }
  channels { key orders salesCents salesShareBp orderShareBp }
  tiers { tier { id } sales { key orders salesCents refundCents } }
  cohorts { month members netSpendCents valuePerMemberCents }
  coupons { templateId campaign issued redeemed useRateBp discountCents }
} }"""
SETTINGS = """mutation($i: UpdateProgramSettingsInput!) {
  updateProgramSettings(input: $i) { settings { pointValueCentsPer100Points } } }"""


def half_up(part: int, whole: int, scale: int = 1) -> int | None:
    return None if whole == 0 else floor(Fraction(part * scale, whole) + Fraction(1, 2))


async def add_sales_detail(api: ApiClient, now: datetime, seed: int) -> None:
    """Stores, channels, quantities, refunds and coupons on top of the generated history (whose
    purchases are all store S1, without a channel or quantities, like rows from before them)."""
    rng = random.Random(seed)
    async with api.container.engine.begin() as conn:
        member_rows = (await conn.execute(select(members.c.id, members.c.joined_at))).all()
        next_id = int(max((await conn.execute(select(purchases.c.id))).scalars(), default=0)) + 1
        rows, refund_rows = [], []
        for n in range(300):
            member_id, joined_at = rng.choice(member_rows)
            at = joined_at + (now - joined_at) * rng.random()
            lines = [{"category": "beauty", "amount_cents": rng.randrange(100, 30_000), "quantity": rng.randrange(1, 4)}
                     for _ in range(rng.randrange(1, 4))]
            amount = sum(line["amount_cents"] for line in lines)
            rows.append(dict(id=next_id + n, member_id=member_id, source="pos", order_id=f"X{n}",
                             store_id=rng.choice(["SH-01", "BJ-02", "GZ-03"]),
                             channel=rng.choice(["POS", "APP", "MINI_PROGRAM", "ECOMMERCE"]),
                             item_quantity=sum(line["quantity"] for line in lines), amount_cents=amount,
                             items=lines, purchased_at=at, created_at=at))
            if rng.random() < 0.2:
                refund_rows.append(dict(purchase_id=next_id + n, refund_id=f"R{n}", amount_cents=amount // 2,
                                        points_reversed=0, shortfall_points=0,
                                        created_at=min(now, at + timedelta(days=rng.randrange(0, 10)))))
        await conn.execute(insert(purchases), rows)
        await conn.execute(insert(refunds), refund_rows)
        template_ids = []
        for name in ("满300减50", "生日券"):
            template_ids.append((await conn.execute(insert(coupon_templates).values(
                name=name, kind="CASH_OFF", value_cents=5_000, categories=[], stores=[], updated_at=now)
                .returning(coupon_templates.c.id))).scalar_one())
        coupon_rows = []
        for n in range(120):
            member_id, joined_at = rng.choice(member_rows)
            issued = joined_at + (now - joined_at) * rng.random()
            redeemed = issued + (now - issued) * rng.random() if rng.random() < 0.4 else None
            coupon_rows.append(dict(template_id=rng.choice(template_ids), member_id=member_id, code=f"C{n:08d}",
                                    status="REDEEMED" if redeemed else "AVAILABLE",
                                    source=rng.choice(["CLAIM", "STAFF", "BIRTHDAY"]), issue_key=f"k{n}",
                                    issued_at=issued, valid_from=issued, valid_until=issued + timedelta(days=90),
                                    redeemed_at=redeemed, order_ref=f"o{n}" if redeemed else None,
                                    discount_cents=5_000 if redeemed else None))
        await conn.execute(insert(coupons), coupon_rows)


async def expected(api: ApiClient, base_tier_id: int, from_day: date, to_day: date, value_per_100: int) -> dict:
    """The report worked out row by row from what the database holds."""
    zone: ZoneInfo = api.container.timezone

    def day_of(at: datetime) -> date:
        return at.astimezone(zone).date()

    def inside(at: datetime, first: date = from_day, last: date = to_day) -> bool:
        return first <= day_of(at) <= last

    async with api.container.engine.connect() as conn:
        p = [r._asdict() for r in await conn.execute(select(purchases))]
        r = [x._asdict() for x in await conn.execute(select(refunds))]
        m = {x.id: x.joined_at for x in await conn.execute(select(members.c.id, members.c.joined_at))}
        e = [x._asdict() for x in await conn.execute(select(points_entries))]
        c = [x._asdict() for x in await conn.execute(select(coupons))]
        t = [x._asdict() for x in await conn.execute(select(tier_changes))]
    by_id = {x["id"]: x for x in p}

    def units(x: dict) -> int:
        return sum(line.get("quantity", 1) for line in x["items"])

    def tier_before(x: dict) -> int:
        earlier = [ch for ch in t if ch["member_id"] == x["member_id"] and ch["created_at"] < x["purchased_at"]]
        return max(earlier, key=lambda ch: (ch["created_at"], ch["id"]))["to_tier_id"] if earlier else base_tier_id

    bought = [x for x in p if inside(x["purchased_at"])]
    refunded = [x for x in r if inside(x["created_at"])]
    orders, sales = len(bought), sum(x["amount_cents"] for x in bought)
    refund_total = sum(x["amount_cents"] for x in refunded)
    length = (to_day - from_day).days + 1
    before = [x for x in p if inside(x["purchased_at"], from_day - timedelta(days=length),
                                     from_day - timedelta(days=1))]
    aov = half_up(sales, orders)
    prev_aov = half_up(sum(x["amount_cents"] for x in before), len(before))
    first_buy: dict[int, datetime] = {}
    for x in sorted(p, key=lambda x: (x["purchased_at"], x["id"])):
        first_buy.setdefault(x["member_id"], x["purchased_at"])
    joined = [mid for mid, at in m.items() if inside(at)]
    converted = [mid for mid in joined if mid in first_buy and inside(first_buy[mid])]

    def flow(kind: str, sign: int) -> int:
        return sum(abs(x["amount"]) for x in e if inside(x["created_at"]) and x["kind"] == kind
                   and x["amount"] * sign > 0)

    end = datetime.combine(to_day + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    outstanding = sum(x["amount"] for x in e if x["created_at"] < end)

    def breakdown(key_of) -> dict[str, dict]:
        out: dict[str, dict] = defaultdict(lambda: {"orders": 0, "salesCents": 0, "refundCents": 0, "units": 0})
        for x in bought:
            row = out[key_of(x)]
            row["orders"] += 1
            row["salesCents"] += x["amount_cents"]
            row["units"] += units(x)
        for x in refunded:
            out[key_of(by_id[x["purchase_id"]])]["refundCents"] += x["amount_cents"]
        for row in out.values():
            row["averageOrderCents"] = half_up(row["salesCents"], row["orders"])
            row["unitsPerOrderHundredths"] = half_up(row["units"], row["orders"], 100)
            row["salesShareBp"] = half_up(row["salesCents"], sales, 10_000)
            row["orderShareBp"] = half_up(row["orders"], orders, 10_000)
        return out

    days: dict[date, Counter] = defaultdict(Counter)
    for x in bought:
        d = days[day_of(x["purchased_at"])]
        d["orders"] += 1
        d["salesCents"] += x["amount_cents"]
        d["units"] += units(x)
    for x in refunded:
        days[day_of(x["created_at"])]["refundCents"] += x["amount_cents"]
    for mid in joined:
        days[day_of(m[mid])]["newMembers"] += 1
    for at in first_buy.values():
        if inside(at):
            days[day_of(at)]["firstPurchases"] += 1
    for x in e:
        if inside(x["created_at"]) and x["kind"] == "EARN" and x["amount"] > 0:
            days[day_of(x["created_at"])]["pointsIssued"] += x["amount"]
        if inside(x["created_at"]) and x["kind"] == "REDEEM" and x["amount"] < 0:
            days[day_of(x["created_at"])]["pointsRedeemed"] -= x["amount"]
    cohorts = []
    month = from_day.replace(day=1)
    while month <= to_day:
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        # As of the end of the period: the last month's cohort holds only who had joined by then.
        cohort = {mid for mid, at in m.items() if month <= day_of(at) < following and at < end}
        net = (sum(x["amount_cents"] for x in p if x["member_id"] in cohort and x["purchased_at"] < end)
               - sum(x["amount_cents"] for x in r if by_id[x["purchase_id"]]["member_id"] in cohort
                     and x["created_at"] < end))
        cohorts.append({"month": month.isoformat(), "members": len(cohort), "netSpendCents": net,
                        "valuePerMemberCents": half_up(net, len(cohort))})
        month = following
    coupon_use: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for x in c:
        key = (str(x["template_id"]), x["source"])
        if inside(x["issued_at"]):
            coupon_use[key]["issued"] += 1
        if x["redeemed_at"] is not None and inside(x["redeemed_at"]):
            coupon_use[key]["redeemed"] += 1
            coupon_use[key]["discountCents"] += x["discount_cents"]
    stores = breakdown(lambda x: x["store_id"])
    channels = breakdown(lambda x: x["channel"] or "POS")
    tiers = breakdown(lambda x: str(tier_before(x)))
    return {
        "orders": orders, "salesCents": sales, "refundCents": refund_total, "netSalesCents": sales - refund_total,
        "units": sum(units(x) for x in bought), "averageOrderCents": aov, "previousAverageOrderCents": prev_aov,
        "averageOrderChangeBp": half_up(aov - prev_aov, prev_aov, 10_000) if aov is not None and prev_aov else None,
        "unitsPerOrderHundredths": half_up(sum(units(x) for x in bought), orders, 100),
        "purchasingMembers": len({x["member_id"] for x in bought}),
        "purchaseFrequencyHundredths": half_up(orders, len({x["member_id"] for x in bought}), 100),
        "newMembers": len(joined), "convertedMembers": len(converted),
        "conversionRateBp": half_up(len(converted), len(joined), 10_000),
        "pointsIssued": flow("EARN", 1), "pointsRedeemed": flow("REDEEM", -1),
        "redeemedToIssuedBp": half_up(flow("REDEEM", -1), flow("EARN", 1), 10_000),
        "pointsOutstanding": outstanding, "pointValueCentsPer100Points": value_per_100,
        "liabilityCents": outstanding * value_per_100 // 100,
        "days": [{"day": d.isoformat(), "orders": v["orders"], "salesCents": v["salesCents"],
                  "refundCents": v["refundCents"], "units": v["units"],
                  "averageOrderCents": half_up(v["salesCents"], v["orders"]), "newMembers": v["newMembers"],
                  "firstPurchases": v["firstPurchases"], "pointsIssued": v["pointsIssued"],
                  "pointsRedeemed": v["pointsRedeemed"]} for d, v in sorted(days.items()) if +v],
        "stores": sorted(({"key": k, **v} for k, v in stores.items()), key=lambda s: (-s["salesCents"], s["key"])),
        "channels": sorted(({"key": k, **{f: v[f] for f in ("orders", "salesCents", "salesShareBp", "orderShareBp")}}
                            for k, v in channels.items()), key=lambda s: (-s["salesCents"], s["key"])),
        "tiers": {k: {f: v[f] for f in ("orders", "salesCents", "refundCents")} for k, v in tiers.items()},
        "cohorts": cohorts,
        "coupons": sorted(({"templateId": k[0], "campaign": k[1], "issued": v["issued"], "redeemed": v["redeemed"],
                            "useRateBp": half_up(v["redeemed"], v["issued"], 10_000),
                            "discountCents": v["discountCents"]} for k, v in coupon_use.items()),
                          key=lambda x: (int(x["templateId"]), x["campaign"])),
    }


@pytest.fixture
async def program(api: ApiClient):
    await configure_program(api.container)
    ladder = sorted(await list_tiers(api.container.uow()), key=lambda t: t.rank)
    now = api.container.now()
    history = generate(seed=20261202, now=now, zone=api.container.timezone, ladder=ladder, size=120)
    await history.write(api.container.engine)
    await add_sales_detail(api, now, seed=18)
    engine = api.container.engine
    if engine.dialect.name == "postgresql":  # rows were written with their ids: move the sequences past them
        async with engine.begin() as conn:
            for table in ("members", "purchases", "points_entries", "tier_changes"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    return api, ladder, await staff_token(api)


async def test_the_report_matches_figures_worked_out_from_the_raw_rows(program) -> None:
    api, ladder, staff = program
    today = api.container.today()
    await api.data(SETTINGS, {"i": {"pointValueCentsPer100Points": 250}}, staff)
    await rollup_kpis(api.container.uow, api.container.clock, today - timedelta(days=200), today)
    periods = [(today - timedelta(days=89), today), (today - timedelta(days=40), today - timedelta(days=8))]
    for from_day, to_day in periods:
        got = (await api.data(REPORT, {"f": from_day.isoformat(), "t": to_day.isoformat()}, staff))["operatorKpis"]
        want = await expected(api, ladder[0].id, from_day, to_day, 250)
        assert got["daysRolledUp"] == (to_day - from_day).days + 1 and got["firstMissingDay"] is None
        assert got["orders"] > 50 and got["refundCents"] > 0 and got["convertedMembers"] > 0  # the data is not trivial
        tiers = {t["sales"]["key"]: {f: t["sales"][f] for f in ("orders", "salesCents", "refundCents")}
                 for t in got.pop("tiers")}
        assert tiers == want.pop("tiers")
        for key, value in want.items():
            assert got[key] == value, key


async def test_rerunning_the_job_changes_nothing_and_late_rows_are_picked_up(program) -> None:
    api, _ladder, staff = program
    today = api.container.today()
    first = today - timedelta(days=30)
    await rollup_kpis(api.container.uow, api.container.clock, first, today)

    async def rows() -> list:
        async with api.container.engine.connect() as conn:
            return sorted((await conn.execute(select(kpi_daily_rollups))).all())

    before = await rows()
    await rollup_kpis(api.container.uow, api.container.clock, first, today)
    assert await rows() == before
    report = {"f": first.isoformat(), "t": today.isoformat()}
    orders = (await api.data(REPORT, report, staff))["operatorKpis"]["orders"]
    # An order recorded late for an old day counts once that day is rolled up again.
    await api.data("""mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }""", {"i": {
        "member": {"memberCode": "K0000001"}, "orderId": "LATE-1", "storeId": "SH-01", "amountCents": 1_000,
        "items": [{"category": "beauty", "amountCents": 1_000}], "channel": "APP",
        "purchasedAt": (api.container.now() - timedelta(days=20)).isoformat()}}, staff)
    assert (await api.data(REPORT, report, staff))["operatorKpis"]["orders"] == orders
    await rollup_kpis(api.container.uow, api.container.clock, today - timedelta(days=21), today - timedelta(days=19))
    assert (await api.data(REPORT, report, staff))["operatorKpis"]["orders"] == orders + 1


async def test_days_not_rolled_up_are_reported_and_only_staff_may_ask(api: ApiClient) -> None:
    await configure_program(api.container)
    staff = await staff_token(api)
    today = api.container.today()
    got = (await api.data(REPORT, {"f": (today - timedelta(days=2)).isoformat(), "t": today.isoformat()},
                          staff))["operatorKpis"]
    assert got["daysRolledUp"] == 0 and got["firstMissingDay"] == (today - timedelta(days=2)).isoformat()
    assert got["averageOrderCents"] is None and got["conversionRateBp"] is None
    member = await api.sign_in("13800138000")
    answer = await api.gql(REPORT, {"f": today.isoformat(), "t": today.isoformat()}, member.access_token)
    assert error_codes(answer) == ["FORBIDDEN"]
    bad = await api.gql(REPORT, {"f": today.isoformat(), "t": (today - timedelta(days=1)).isoformat()}, staff)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
