"""Operator KPIs: programKpis against figures the test computes itself, in plain Python, from a
seeded random history; whole local days at the edges; who may ask; what a bad period gets."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from math import floor
from zoneinfo import ZoneInfo

import pytest

from domain.kpis.rollups import first_rollup_day, rollup_kpis
from domain.tiers.model import Tier
from domain.tiers.services import list_tiers
from tests.support.activity_data import History, generate, local
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

KPIS = """query($f: Date!, $t: Date!) { programKpis(from: $f, to: $t) {
  from to timeZone asOf
  members { newMembers membersAtStart membersAtEnd }
  activity { activeMembers activeRateBp months { month activeMembers membersAtEnd activeRateBp } }
  retention7d { days eligibleMembers retainedMembers rateBp }
  retention30d { days eligibleMembers retainedMembers rateBp }
  points { issued redeemed expired adjustedUp adjustedDown reversedEarned reversedSpent transferred
           redeemingMembers redeemingRateBp }
  tiers { distribution { tier { code } members } upgrades downgrades }
  purchases { purchasingMembers repeatPurchasingMembers repeatPurchaseRateBp }
  checkIns { checkedInMembers checkInRateBp }
} }"""


def bp(part: int, whole: int) -> int | None:
    return None if whole == 0 else floor(Fraction(part * 10_000, whole) + Fraction(1, 2))


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return local(day, zone)


def expected_kpis(h: History, ladder: list[Tier], from_day: date, to_day: date, as_of: datetime) -> dict:
    """The report, worked out row by row from the generated history."""
    zone = h.zone
    start, end = midnight(from_day, zone), midnight(to_day + timedelta(days=1), zone)
    rows = h.rows
    joined = {m["id"]: m["joined_at"] for m in rows["members"]}
    acts = ([(r["member_id"], r["purchased_at"]) for r in rows["purchases"]]
            + [(r["member_id"], r["created_at"]) for r in rows["check_ins"]]
            + [(r["author_id"], r["created_at"]) for r in rows["posts"]]
            + [(r["author_id"], r["created_at"]) for r in rows["comments"]]
            + [(r["member_id"], r["created_at"]) for r in rows["redemptions"]])

    def existing(before: datetime) -> int:
        return sum(1 for at in joined.values() if at < before)

    def active(s: datetime, e: datetime) -> set[int]:
        return {m for m, at in acts if s <= at < e}

    at_end = existing(end)
    active_now = active(start, end)
    months = []
    first = from_day.replace(day=1)
    while first <= to_day:
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        s, e = max(midnight(first, zone), start), min(midnight(following, zone), end)
        months.append({"month": first.isoformat(), "activeMembers": len(active(s, e)),
                       "membersAtEnd": existing(e), "activeRateBp": bp(len(active(s, e)), existing(e))})
        first = following

    def retention(n: int) -> dict:
        eligible = retained = 0
        for member_id, at in joined.items():
            if not start <= at < end:
                continue
            join_day = at.astimezone(zone).date()
            w_start = midnight(join_day + timedelta(days=1), zone)
            w_end = midnight(join_day + timedelta(days=1 + n), zone)
            if w_end > as_of:
                continue
            eligible += 1
            retained += any(m == member_id and w_start <= t < w_end for m, t in acts)
        return {"days": n, "eligibleMembers": eligible, "retainedMembers": retained, "rateBp": bp(retained, eligible)}

    entries = [e for e in rows["points_entries"] if start <= e["created_at"] < end]

    def flow(kind: str, sign: int) -> int:
        return sum(abs(e["amount"]) for e in entries if e["kind"] == kind and e["amount"] * sign > 0)

    redeemers = {r["member_id"] for r in rows["redemptions"] if start <= r["created_at"] < end}
    tier_at: dict[int, int] = {}
    for change in sorted(rows["tier_changes"], key=lambda c: (c["created_at"], c["id"])):
        if change["created_at"] < end:
            tier_at[change["member_id"]] = change["to_tier_id"]
    by_tier = Counter(tier_at.get(m, ladder[0].id) for m, at in joined.items() if at < end)
    moves = Counter(c["reason"] for c in rows["tier_changes"] if start <= c["created_at"] < end)
    bought = Counter(r["member_id"] for r in rows["purchases"] if start <= r["purchased_at"] < end)
    repeat = sum(1 for n in bought.values() if n >= 2)
    checked_in = {r["member_id"] for r in rows["check_ins"] if start <= r["created_at"] < end}
    return {
        "from": from_day.isoformat(), "to": to_day.isoformat(), "timeZone": zone.key, "asOf": as_of.isoformat(),
        "members": {"newMembers": at_end - existing(start), "membersAtStart": existing(start), "membersAtEnd": at_end},
        "activity": {"activeMembers": len(active_now), "activeRateBp": bp(len(active_now), at_end),
                     "months": months},
        "retention7d": retention(7), "retention30d": retention(30),
        "points": {"issued": flow("EARN", 1), "redeemed": flow("REDEEM", -1), "expired": flow("EXPIRE", -1),
                   "adjustedUp": flow("ADJUST", 1), "adjustedDown": flow("ADJUST", -1),
                   "reversedEarned": flow("REVERSE", -1), "reversedSpent": flow("REVERSE", 1),
                   "transferred": flow("GIFT_OUT", -1), "redeemingMembers": len(redeemers),
                   "redeemingRateBp": bp(len(redeemers), len(active_now))},
        "tiers": {"distribution": [{"tier": {"code": t.code}, "members": by_tier[t.id]} for t in ladder],
                  "upgrades": moves["UPGRADE"], "downgrades": moves["DOWNGRADE"]},
        "purchases": {"purchasingMembers": len(bought), "repeatPurchasingMembers": repeat,
                      "repeatPurchaseRateBp": bp(repeat, len(bought))},
        "checkIns": {"checkedInMembers": len(checked_in), "checkInRateBp": bp(len(checked_in), at_end)},
    }


async def program(api: ApiClient) -> tuple[list[Tier], str]:
    await configure_program(api.container)
    ladder = sorted(await list_tiers(api.container.uow()), key=lambda t: t.rank)
    return ladder, await staff_token(api)


async def roll_up(api: ApiClient) -> None:
    """The report reads the daily rollups: compute them for every day since the first join, as the
    job's backfill does."""
    first = await first_rollup_day(api.container.uow, api.container.clock)
    await rollup_kpis(api.container.uow, api.container.clock, first, api.container.today())


async def kpis(api: ApiClient, token: str, from_day: date, to_day: date) -> dict:
    return (await api.data(KPIS, {"f": from_day.isoformat(), "t": to_day.isoformat()}, token))["programKpis"]


async def test_kpis_match_figures_computed_from_the_generated_history(api: ApiClient) -> None:
    ladder, staff = await program(api)
    zone, now = api.container.timezone, api.container.now()
    history = generate(seed=20261129, now=now, zone=zone, ladder=ladder)
    await history.write(api.container.engine)
    await roll_up(api)
    today = api.container.today()
    periods = [
        (today - timedelta(days=100), today - timedelta(days=8)),  # spans four calendar months
        (today - timedelta(days=40), today - timedelta(days=40)),  # one day, a burst of sign-ups
        (today - timedelta(days=150), today),  # everything; fresh cohorts are not yet eligible
    ]
    for from_day, to_day in periods:
        got = await kpis(api, staff, from_day, to_day)
        as_of = datetime.fromisoformat(got["asOf"])
        assert got == expected_kpis(history, ladder, from_day, to_day, as_of)
    # The history is rich enough that every figure above was worth comparing.
    wide = await kpis(api, staff, *periods[0])
    assert 0 < wide["activity"]["activeMembers"] < wide["members"]["membersAtEnd"]
    assert wide["retention7d"]["retainedMembers"] > 0 and wide["retention30d"]["eligibleMembers"] > 0
    assert wide["tiers"]["upgrades"] > 0 and wide["tiers"]["downgrades"] > 0
    assert all(wide["points"][k] > 0 for k in ("issued", "redeemed", "expired", "reversedEarned", "reversedSpent"))
    assert 0 < wide["purchases"]["repeatPurchasingMembers"] < wide["purchases"]["purchasingMembers"]
    assert len(wide["activity"]["months"]) >= 4


async def test_the_period_is_whole_local_days(api: ApiClient) -> None:
    _ladder, staff = await program(api)
    zone = api.container.timezone
    last = api.container.today() - timedelta(days=10)
    first = last - timedelta(days=6)
    h = History(zone)
    late_buyer = h.member(local(first - timedelta(days=30), zone))
    h.purchase(late_buyer, local(last, zone, 23, 30), 12_000)  # 23:30 on the last day: inside
    next_day = h.member(local(first - timedelta(days=30), zone))
    h.purchase(next_day, local(last + timedelta(days=1), zone, 0, 10), 5_000)  # 00:10 the day after: outside
    day_before = h.member(local(first - timedelta(days=1), zone, 23, 59, 59))  # joined just before: not new
    h.check_in(day_before, local(first, zone))  # checked in at the first local midnight: inside
    h.member(local(first, zone))  # joined at the first local midnight: new
    h.member(local(last + timedelta(days=1), zone))  # joined at the midnight after: not yet a member
    # A staff adjustment bigger than a 32-bit integer, as a program-wide total can be.
    h.entry(late_buyer, "ADJUST", 3_000_000_000, local(last, zone, 12))
    await h.write(api.container.engine)
    await roll_up(api)

    got = await kpis(api, staff, first, last)
    assert got["members"] == {"newMembers": 1, "membersAtStart": 3, "membersAtEnd": 4}
    assert got["activity"]["activeMembers"] == 2
    assert got["activity"]["activeRateBp"] == 5_000
    assert got["purchases"] == {"purchasingMembers": 1, "repeatPurchasingMembers": 0, "repeatPurchaseRateBp": 0}
    assert got["checkIns"] == {"checkedInMembers": 1, "checkInRateBp": 2_500}
    assert got["points"]["issued"] == 120 + 10
    assert got["points"]["adjustedUp"] == 3_000_000_000
    assert got["points"]["redeemingRateBp"] == 0
    assert got["tiers"]["distribution"][0] == {"tier": {"code": "BASE"}, "members": 4}
    # The day after alone holds only the 00:10 purchase and the late joiner.
    after = await kpis(api, staff, last + timedelta(days=1), last + timedelta(days=1))
    assert after["members"]["newMembers"] == 1
    assert after["purchases"]["purchasingMembers"] == 1
    assert after["activity"]["activeMembers"] == 1


async def test_an_empty_period_has_no_rates(api: ApiClient) -> None:
    _ladder, staff = await program(api)
    day = api.container.today() - timedelta(days=3)
    got = await kpis(api, staff, day, day)
    assert got["members"]["membersAtEnd"] == 0
    assert got["activity"]["activeRateBp"] is None
    assert got["retention7d"] == {"days": 7, "eligibleMembers": 0, "retainedMembers": 0, "rateBp": None}
    assert got["purchases"]["repeatPurchaseRateBp"] is None


@pytest.mark.parametrize(("from_offset", "to_offset", "fields"), [
    (-3, -5, ["to"]),  # inverted
    (-400, -1, ["to"]),  # 400 days
    (-2, 1, ["to"]),  # ends tomorrow
    (1, 2, ["from", "to"]),  # wholly in the future
])
async def test_a_bad_period_is_refused_with_field_errors(api: ApiClient, from_offset: int, to_offset: int,
                                                         fields: list[str]) -> None:
    _ladder, staff = await program(api)
    today = api.container.today()
    body = await api.gql(KPIS, {"f": (today + timedelta(days=from_offset)).isoformat(),
                                "t": (today + timedelta(days=to_offset)).isoformat()}, staff)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert sorted({e["field"] for e in body["errors"][0]["extensions"]["fieldErrors"]}) == fields


async def test_a_year_up_to_today_is_allowed(api: ApiClient) -> None:
    _ladder, staff = await program(api)
    today = api.container.today()
    first = today - timedelta(days=365)
    got = await kpis(api, staff, first, today)
    assert datetime.fromisoformat(got["asOf"]) <= datetime.now(UTC)
    calendar_months = (today.year - first.year) * 12 + today.month - first.month + 1
    assert [m["month"] for m in got["activity"]["months"]][::calendar_months - 1] == [
        first.replace(day=1).isoformat(), today.replace(day=1).isoformat()]


async def test_only_staff_may_read_kpis(api: ApiClient) -> None:
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    variables = {"f": "2026-01-01", "t": "2026-01-31"}
    assert error_codes(await api.gql(KPIS, variables, member.access_token)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(KPIS, variables)) == ["UNAUTHENTICATED"]


async def test_the_report_reads_the_rollups_and_names_the_days_they_miss(api: ApiClient) -> None:
    """programKpis is served from the daily rollups: activity after the last roll-up shows once its day
    is rolled up again, and the report says which days of the period it has not got."""
    ladder, staff = await program(api)
    zone, today = api.container.timezone, api.container.today()
    h = History(zone)
    buyer = h.member(local(today - timedelta(days=20), zone, 9))
    h.purchase(buyer, local(today - timedelta(days=5), zone, 10), 8_000)
    await h.write(api.container.engine)
    await rollup_kpis(api.container.uow, api.container.clock, today - timedelta(days=20), today - timedelta(days=3))
    query = KPIS.replace("from to timeZone asOf", "from to timeZone asOf daysRolledUp firstMissingDay")
    period = {"f": (today - timedelta(days=10)).isoformat(), "t": today.isoformat()}
    got = (await api.data(query, period, staff))["programKpis"]
    assert got["daysRolledUp"] == 8 and got["firstMissingDay"] == (today - timedelta(days=2)).isoformat()
    assert got["purchases"]["purchasingMembers"] == 1 and got["members"]["membersAtEnd"] == 1
    # A second member and a check-in land on a day already rolled up: not counted until it is rolled again.
    late = History(zone, _ids=dict(h._ids))
    newcomer = late.member(local(today - timedelta(days=4), zone, 12))
    late.check_in(newcomer, local(today - timedelta(days=4), zone, 13))
    await late.write(api.container.engine)
    for table, rows in late.rows.items():
        h.rows[table] += rows
    assert (await api.data(query, period, staff))["programKpis"]["activity"]["activeMembers"] == 1
    await rollup_kpis(api.container.uow, api.container.clock, today - timedelta(days=4), today)
    got = (await api.data(query, period, staff))["programKpis"]
    assert got["daysRolledUp"] == 11 and got["firstMissingDay"] is None
    assert got["activity"]["activeMembers"] == 2 and got["members"]["newMembers"] == 1
    assert got["checkIns"]["checkedInMembers"] == 1
    assert got == {**expected_kpis(h, ladder, today - timedelta(days=10), today,
                                   datetime.fromisoformat(got["asOf"])), "daysRolledUp": 11, "firstMissingDay": None}
