"""RFM scores, lifecycle stages and segments: a seeded random program history is scored by the job
and compared with a plain-Python reference computed here from the same purchases; then segments are
queried, paged and sent coupons through GraphQL."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.segments.job import compute_segments
from domain.store.tables import lifecycle_changes, member_lifecycle, member_rfm
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

WINDOWS = (7, 30, 90, 365)
CATEGORIES = ["beauty", "coffee", "dining", "fashion", "grocery"]
TAGS = ["student", "vip", "family"]
NEW_DAYS, ACTIVE_DAYS, DORMANT_DAYS = 30, 90, 180

PURCHASE = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } } }"""
REFUND = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { refund { amountCents } } }"""
SEGMENT = """query($f: SegmentFilterInput, $first: Int!, $after: String) {
  memberSegment(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { member { id tags } stage stageSince lastPurchaseAt rfm { windowDays recencyDays frequency
      monetaryCents previousMonetaryCents trendBp rScore fScore mScore cell topCategories } } } } }"""
INSIGHTS = """query($m: ID!) { memberInsights(memberId: $m) { stage rfm { windowDays cell }
  stageHistory { totalCount nodes { fromStage toStage } } } }"""
ISSUE = """mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }"""
TEMPLATE = """mutation { saveCouponTemplate(input: {name: "We miss you", kind: CASH_OFF, valueCents: 1000,
  validDays: 30, perMemberLimit: null}) { template { id } } }"""


@dataclass
class Buy:
    at: datetime
    amount: int
    refunded: int
    items: list[tuple[str, int]]


@dataclass
class Person:
    id: int
    joined_at: datetime
    tags: list[str]
    buys: list[Buy] = field(default_factory=list)


# ---- the reference: straightforward Python over the generated purchases ---------------------------------

def ntile(ordered: list[int], buckets: int = 5) -> dict[int, int]:
    """SQL's NTILE: rows in order split into `buckets` groups as equal as possible, the first
    len % buckets groups one row larger. Callers order by (value, member id), as the job does."""
    size, extra = divmod(len(ordered), buckets)
    scores, start = {}, 0
    for bucket in range(1, buckets + 1):
        n = size + (1 if bucket <= extra else 0)
        for member_id in ordered[start:start + n]:
            scores[member_id] = bucket
        start += n
    return scores


def reference_rfm(people: list[Person], now: datetime,
                  windows: tuple[int, ...] = WINDOWS) -> dict[tuple[int, int], dict]:
    expected: dict[tuple[int, int], dict] = {}
    for w in windows:
        start, before = now - timedelta(days=w), now - timedelta(days=2 * w)
        rows = {}
        for p in people:
            inside = [b for b in p.buys if start < b.at <= now]
            if not inside:
                continue
            last = max(b.at for b in p.buys)
            monetary = sum(b.amount - b.refunded for b in inside)
            previous = sum(b.amount - b.refunded for b in p.buys if before < b.at <= start)
            spend: dict[str, int] = defaultdict(int)
            for b in inside:
                for category, cents in b.items:
                    spend[category] += cents
            rows[p.id] = {
                "windowDays": w, "last": last, "recencyDays": int((now - last).total_seconds() // 86_400),
                "frequency": len(inside), "monetaryCents": monetary, "previousMonetaryCents": previous,
                "trendBp": None if previous <= 0 else min((monetary - previous) * 10_000 // previous, 10**8),
                "topCategories": [c for c, _ in sorted(spend.items(), key=lambda kv: (-kv[1], kv[0]))[:3]],
            }
        r = ntile(sorted(rows, key=lambda m: (rows[m]["last"], m)))
        f = ntile(sorted(rows, key=lambda m: (rows[m]["frequency"], m)))
        m_ = ntile(sorted(rows, key=lambda m: (rows[m]["monetaryCents"], m)))
        for member_id, row in rows.items():
            row.update(rScore=r[member_id], fScore=f[member_id], mScore=m_[member_id],
                       cell=f"{r[member_id]}{f[member_id]}{m_[member_id]}")
            del row["last"]
            expected[(member_id, w)] = row
    return expected


def reference_stage(p: Person, now: datetime, previous: tuple[str, datetime] | None,
                    thresholds: tuple[int, int, int] = (NEW_DAYS, ACTIVE_DAYS, DORMANT_DAYS)) -> str:
    new_days, active_days, dormant_days = thresholds
    last = max((b.at for b in p.buys), default=None)

    def within(t: datetime | None, days: int) -> bool:
        return t is not None and now - timedelta(days=days) < t <= now

    if within(p.joined_at, new_days):
        return "NEW"
    if within(last, active_days):
        if previous and previous[0] in ("DORMANT", "CHURNED"):
            return "WON_BACK"
        if previous and previous[0] == "WON_BACK" and within(previous[1], active_days):
            return "WON_BACK"
        return "ACTIVE"
    return "DORMANT" if within(last, dormant_days) else "CHURNED"


# ---- the generated program history ------------------------------------------------------------------------

async def generate(api: ApiClient, staff: str, now: datetime, seed: int = 8, count: int = 48) -> list[Person]:
    rng = random.Random(seed)
    people = []
    for i in range(count):
        joined = now - timedelta(days=rng.choice([rng.randint(0, 40), rng.randint(0, 900)]),
                                 seconds=rng.randint(0, 86_399))
        async with api.container.uow() as uow:
            member, _ = await uow.members.get_or_create(f"1380000{i:04d}", f"SEG{i:08d}", joined)
            member.tags = rng.sample(TAGS, rng.randint(0, 2))
            await uow.members.save_profile(member)
            await uow.commit()
        person = Person(member.id, joined, member.tags)
        people.append(person)
        # Some members bought nothing; others between 1 and 9 times, some amounts repeated (ties).
        for n in range(rng.choice([0, rng.randint(1, 9), rng.randint(1, 9)])):
            span = int((now - joined).total_seconds())
            at = joined + timedelta(seconds=rng.randint(0, span))
            amount = rng.choice([5_000, 12_000, rng.randint(100, 80_000)])
            split = sorted(rng.sample(range(1, amount), min(rng.randint(0, 2), amount - 1)))
            parts = [b - a for a, b in zip([0, *split], [*split, amount], strict=True)]
            items = [(rng.choice(CATEGORIES), cents) for cents in parts]
            order = f"O-{member.id}-{n}"
            await api.data(PURCHASE, {"i": {
                "member": {"id": str(member.id)}, "orderId": order, "storeId": "S1", "amountCents": amount,
                "purchasedAt": at.isoformat(), "items": [{"category": c, "amountCents": a} for c, a in items],
            }}, staff)
            refunded = rng.choice([0, 0, 0, 0, amount // 3, amount])
            if refunded:
                await api.data(REFUND, {"i": {"orderId": order, "storeId": "S1", "refundId": "R1",
                                              "amountCents": refunded}}, staff)
            person.buys.append(Buy(at, amount, refunded, items))
    return people


@pytest.fixture
async def program(api: ApiClient, monkeypatch: pytest.MonkeyPatch):
    await configure_program(api.container)
    staff = await staff_token(api)
    now = api.container.now().replace(microsecond=0)
    monkeypatch.setattr(api.container, "now", lambda: now)
    people = await generate(api, staff, now)
    return api, staff, now, people


async def segment(api: ApiClient, staff: str, f: dict | None, first: int = 100, after: str | None = None) -> dict:
    return (await api.data(SEGMENT, {"f": f, "first": first, "after": after}, staff))["memberSegment"]


async def stored_rfm(api: ApiClient) -> dict[tuple[int, int], dict]:
    async with api.container.engine.connect() as conn:
        rows = (await conn.execute(select(member_rfm))).all()
    return {(r.member_id, r.window_days): {
        "windowDays": r.window_days, "recencyDays": r.recency_days, "frequency": r.frequency,
        "monetaryCents": r.monetary_cents, "previousMonetaryCents": r.previous_monetary_cents, "trendBp": r.trend_bp,
        "rScore": r.r_score, "fScore": r.f_score, "mScore": r.m_score,
        "cell": f"{r.r_score}{r.f_score}{r.m_score}", "topCategories": list(r.top_categories),
    } for r in rows}


async def stored_stages(api: ApiClient) -> tuple[dict[int, tuple[str, datetime]], int]:
    async with api.container.engine.connect() as conn:
        stages = {r.member_id: (r.stage, r.since) for r in await conn.execute(select(member_lifecycle))}
        changes = int(await conn.scalar(select(func.count()).select_from(lifecycle_changes)))
    return stages, changes


async def test_job_matches_the_reference_and_is_idempotent(program) -> None:
    api, staff, now, people = program
    expected = reference_rfm(people, now)
    assert len({row["cell"] for row in expected.values()}) > 10, "the dataset spreads over many cells"
    assert any(row["trendBp"] is None for row in expected.values())
    assert any(row["trendBp"] is not None and row["trendBp"] < 0 for row in expected.values())

    counts = await compute_segments(api.container.uow, now, batch=7)  # several batches, one member range each
    assert counts["members"] == len(people)
    assert counts["scored365d"] == sum(1 for (_, w) in expected if w == 365)
    assert await stored_rfm(api) == expected
    stages, changes = await stored_stages(api)
    want = {p.id: reference_stage(p, now, None) for p in people}
    assert {m: s for m, (s, _) in stages.items()} == want
    assert {"NEW", "ACTIVE", "DORMANT", "CHURNED"} <= set(want.values())
    assert changes == len(people), "each member's first stage is recorded once"

    # Through GraphQL: every member, with the same scores and stage.
    page = await segment(api, staff, None)
    assert page["totalCount"] == len(people) and not page["pageInfo"]["hasNextPage"]
    for edge in page["edges"]:
        node = edge["node"]
        member_id = int(node["member"]["id"])
        assert node["stage"] == want[member_id]
        assert node["rfm"] == [expected[(member_id, w)] for w in WINDOWS if (member_id, w) in expected]

    # Twice: the same rows and no new stage changes.
    again = await compute_segments(api.container.uow, now)
    assert again["stageChanges"] == 0
    assert await stored_rfm(api) == expected
    assert await stored_stages(api) == (stages, changes)


async def test_a_dormant_member_who_buys_again_is_won_back(program, monkeypatch: pytest.MonkeyPatch) -> None:
    api, staff, now, people = program
    await compute_segments(api.container.uow, now)
    first, _ = await stored_stages(api)
    dormant = [p for p in people if first[p.id][0] == "DORMANT"]
    assert dormant, "the seeded data has dormant members"
    back = dormant[0]
    later = now + timedelta(hours=1)
    monkeypatch.setattr(api.container, "now", lambda: later)
    await api.data(PURCHASE, {"i": {"member": {"id": str(back.id)}, "orderId": "BACK", "storeId": "S1",
                                    "amountCents": 4_200, "items": [{"category": "coffee", "amountCents": 4_200}]}},
                   staff)
    back.buys.append(Buy(later, 4_200, 0, [("coffee", 4_200)]))
    await compute_segments(api.container.uow, later)
    second, _ = await stored_stages(api)
    assert second == {p.id: (reference_stage(p, later, first[p.id]),
                             first[p.id][1] if reference_stage(p, later, first[p.id]) == first[p.id][0] else later)
                      for p in people}
    assert second[back.id][0] == "WON_BACK"
    body = await api.data(INSIGHTS, {"m": str(back.id)}, staff)
    assert body["memberInsights"]["stage"] == "WON_BACK"
    assert body["memberInsights"]["stageHistory"] == {"totalCount": 2, "nodes": [
        {"fromStage": "DORMANT", "toStage": "WON_BACK"}, {"fromStage": None, "toStage": "DORMANT"}]}
    paged = """query($m: ID!, $a: String) { memberInsights(memberId: $m) { stageHistory(first: 1, after: $a) {
      edges { cursor node { toStage } } pageInfo { hasNextPage endCursor } } } }"""
    newest = (await api.data(paged, {"m": str(back.id)}, staff))["memberInsights"]["stageHistory"]
    assert [e["node"]["toStage"] for e in newest["edges"]] == ["WON_BACK"] and newest["pageInfo"]["hasNextPage"]
    older = (await api.data(paged, {"m": str(back.id), "a": newest["pageInfo"]["endCursor"]}, staff))
    older_page = older["memberInsights"]["stageHistory"]
    assert [e["node"]["toStage"] for e in older_page["edges"]] == ["DORMANT"]
    assert older_page["pageInfo"]["hasNextPage"] is False
    assert [r["windowDays"] for r in body["memberInsights"]["rfm"]] == list(WINDOWS)
    assert await stored_rfm(api) == reference_rfm(people, later)


async def test_stage_thresholds_come_from_program_settings(program) -> None:
    api, staff, now, people = program
    settings = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) { settings {
      lifecycleNewDays lifecycleActiveDays lifecycleDormantDays } } }"""
    inverted = await api.gql(settings, {"i": {"lifecycleDormantDays": 60}}, staff)
    assert error_codes(inverted) == ["BAD_USER_INPUT"]
    assert [e["field"] for e in inverted["errors"][0]["extensions"]["fieldErrors"]] == ["lifecycleDormantDays"]
    changed = await api.data(settings, {"i": {"lifecycleNewDays": 10, "lifecycleActiveDays": 45,
                                              "lifecycleDormantDays": 400}}, staff)
    assert changed["updateProgramSettings"]["settings"] == {"lifecycleNewDays": 10, "lifecycleActiveDays": 45,
                                                            "lifecycleDormantDays": 400}
    await compute_segments(api.container.uow, now)
    stages, _ = await stored_stages(api)
    assert {m: s for m, (s, _) in stages.items()} == {p.id: reference_stage(p, now, None, (10, 45, 400))
                                                      for p in people}
    assert {m: s for m, (s, _) in stages.items()} != {p.id: reference_stage(p, now, None) for p in people}


async def test_rfm_windows_come_from_program_settings(program) -> None:
    api, staff, now, people = program
    await compute_segments(api.container.uow, now)
    settings = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) {
      settings { rfmWindows } } }"""
    for bad in ([], [0], [30, 30], [7, 14, 30, 60, 90, 180, 365], [731]):
        refused = await api.gql(settings, {"i": {"rfmWindows": bad}}, staff)
        assert [e["field"] for e in refused["errors"][0]["extensions"]["fieldErrors"]] == ["rfmWindows"], bad
    changed = await api.data(settings, {"i": {"rfmWindows": [60, 14]}}, staff)
    assert changed["updateProgramSettings"]["settings"]["rfmWindows"] == [14, 60]
    await compute_segments(api.container.uow, now)
    assert await stored_rfm(api) == reference_rfm(people, now, (14, 60)), "old windows dropped, new ones scored"
    old = await api.gql(SEGMENT, {"f": {"rfm": {"windowDays": 30}}, "first": 10}, staff)
    assert [e["field"] for e in old["errors"][0]["extensions"]["fieldErrors"]] == ["windowDays"]
    assert (await segment(api, staff, {"rfm": {"windowDays": 14}}))["totalCount"] == len(
        [k for k in reference_rfm(people, now, (14,))])


async def test_segments_filter_and_page_through_graphql(program) -> None:
    api, staff, now, people = program
    await compute_segments(api.container.uow, now)
    rfm = reference_rfm(people, now)
    stage = {p.id: reference_stage(p, now, None) for p in people}
    tags = {p.id: set(p.tags) for p in people}

    async def ids(f: dict, first: int) -> tuple[list[int], int]:
        seen, after, total = [], None, None
        while True:
            page = await segment(api, staff, f, first, after)
            total = page["totalCount"] if total is None else total
            assert page["totalCount"] == total
            seen += [int(e["node"]["member"]["id"]) for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return seen, total
            after = page["pageInfo"]["endCursor"]

    cases = [
        ({"stages": ["ACTIVE", "DORMANT"]}, lambda m: stage[m] in ("ACTIVE", "DORMANT")),
        ({"tags": ["vip"], "rfm": {"windowDays": 365, "monetary": {"min": 4}}},
         lambda m: "vip" in tags[m] and (m, 365) in rfm and rfm[(m, 365)]["mScore"] >= 4),
        ({"rfm": {"windowDays": 90, "recency": {"min": 2, "max": 3}, "frequency": {"max": 4}}},
         lambda m: (m, 90) in rfm and 2 <= rfm[(m, 90)]["rScore"] <= 3 and rfm[(m, 90)]["fScore"] <= 4),
        ({"rfm": {"windowDays": 365}, "stages": ["CHURNED"]}, lambda m: (m, 365) in rfm and stage[m] == "CHURNED"),
        ({"tierCodes": ["BASE"], "tags": ["student", "family"]}, lambda m: bool(tags[m] & {"student", "family"})),
    ]
    cells = sorted({rfm[(m, 365)]["cell"] for m in stage if (m, 365) in rfm})[:3]
    cases.append(({"rfm": {"windowDays": 365, "cells": cells}},
                  lambda m: (m, 365) in rfm and rfm[(m, 365)]["cell"] in cells))
    for f, wanted in cases:
        expected = sorted(m for m in stage if wanted(m))
        assert expected, f
        found, total = await ids(f, 4)
        assert (found, total) == (expected, len(expected)), f

    # Tier segments follow the tier the member holds now.
    assert (await segment(api, staff, {"tierCodes": ["GOLD"]}))["totalCount"] == 0
    big = people[5]
    await api.data(PURCHASE, {"i": {"member": {"id": str(big.id)}, "orderId": "BIG", "storeId": "S1",
                                    "amountCents": 6_000_000, "items": [{"category": "fashion",
                                                                         "amountCents": 6_000_000}]}}, staff)
    gold = await segment(api, staff, {"tierCodes": ["GOLD"]})
    assert [int(e["node"]["member"]["id"]) for e in gold["edges"]] == [big.id]
    base = await segment(api, staff, {"tierCodes": ["base"]})
    assert base["totalCount"] == len(people) - 1

    # Listing a profile in a segment is a staff read of personal data: it is on the member's trail.
    trail = "query($m: ID!) { memberAuditLog(memberId: $m) { nodes { action actorRole } } }"
    listed = (await api.data(trail, {"m": str(big.id)}, staff))["memberAuditLog"]["nodes"]
    assert {"action": "member.listed-in-segment", "actorRole": "staff"} in listed


async def test_bad_filters_and_members_are_refused(program) -> None:
    api, staff, now, _ = program
    await compute_segments(api.container.uow, now)
    bad = {
        "stages": {"stages": ["SLEEPING"]},
        "windowDays": {"rfm": {"windowDays": 14}},
        "recency": {"rfm": {"windowDays": 30, "recency": {"min": 4, "max": 2}}},
        "monetary": {"rfm": {"windowDays": 30, "monetary": {"min": 0}}},
        "cells": {"rfm": {"windowDays": 30, "cells": ["565"]}},
        "tierCodes": {"tierCodes": ["NOPE"]},
    }
    for name, f in [*bad.items(), ("cells", {"rfm": {"windowDays": 30, "cells": ["545\n"]}})]:
        body = await api.gql(SEGMENT, {"f": f, "first": 10}, staff)
        assert error_codes(body) == ["BAD_USER_INPUT"], name
        assert [e["field"] for e in body["errors"][0]["extensions"]["fieldErrors"]] == [name]
    cursor = await api.gql(SEGMENT, {"f": None, "first": 10, "after": "bm9wZQ=="}, staff)
    assert error_codes(cursor) == ["BAD_USER_INPUT"]
    someone = str((await api.data(SEGMENT, {"f": None, "first": 1}, staff))["memberSegment"]["edges"][0]["node"]
                  ["member"]["id"])
    history = """query($m: ID!, $n: Int!, $a: String) { memberInsights(memberId: $m) {
      stageHistory(first: $n, after: $a) { nodes { toStage } } } }"""
    for variables, name in (({"n": 0}, "first"), ({"n": 101}, "first"), ({"n": 5, "a": "bm9wZQ=="}, "after")):
        body = await api.gql(history, {"m": someone, **variables}, staff)
        assert error_codes(body) == ["BAD_USER_INPUT"], variables
        assert [e["field"] for e in body["errors"][0]["extensions"]["fieldErrors"]] == [name]
    tid = (await api.data(TEMPLATE, token=staff))["saveCouponTemplate"]["template"]["id"]
    empty = await api.gql(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "k"}}, staff)
    assert error_codes(empty) == ["BAD_USER_INPUT"]
    unknown = await api.gql(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "k", "stages": ["LOST"]}}, staff)
    assert [e["field"] for e in unknown["errors"][0]["extensions"]["fieldErrors"]] == ["stages"]
    both = await api.gql(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "k", "memberIds": ["1"],
                                       "stages": ["NEW"]}}, staff)
    assert [e["field"] for e in both["errors"][0]["extensions"]["fieldErrors"]] == ["memberIds"]

    member = await api.sign_in("13900000001")
    for query, variables in ((SEGMENT, {"f": None, "first": 10}), (INSIGHTS, {"m": member.member_id})):
        assert error_codes(await api.gql(query, variables, member.access_token)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "m", "stages": ["NEW"]}},
                                     member.access_token)) == ["FORBIDDEN"]


async def test_coupons_reach_exactly_a_lifecycle_and_rfm_segment(program) -> None:
    api, staff, now, people = program
    await compute_segments(api.container.uow, now)
    stage = {p.id: reference_stage(p, now, None) for p in people}
    rfm = reference_rfm(people, now)
    tid = (await api.data(TEMPLATE, token=staff))["saveCouponTemplate"]["template"]["id"]
    lapsed = {"templateId": tid, "idempotencyKey": "lapsed", "stages": ["DORMANT", "CHURNED"]}
    sent = await api.data(ISSUE, {"i": lapsed}, staff)
    targets = {m for m, s in stage.items() if s in ("DORMANT", "CHURNED")}
    assert sent["issueCoupons"]["issued"] == len(targets) > 0
    assert (await api.data(ISSUE, {"i": lapsed}, staff))["issueCoupons"]["issued"] == 0, "same key: nobody twice"
    best = {"templateId": tid, "idempotencyKey": "best", "stages": ["ACTIVE", "NEW"],
            "rfm": {"windowDays": 365, "monetary": {"min": 5}}}
    best_targets = {m for m, s in stage.items() if s in ("ACTIVE", "NEW") and (m, 365) in rfm
                    and rfm[(m, 365)]["mScore"] == 5}
    assert (await api.data(ISSUE, {"i": best}, staff))["issueCoupons"]["issued"] == len(best_targets) > 0

    holders = await api.data("""{ memberSegment(first: 100) { edges { node { member { id coupons { totalCount } } } } }
      }""", token=staff)
    got = {int(e["node"]["member"]["id"]): e["node"]["member"]["coupons"]["totalCount"]
           for e in holders["memberSegment"]["edges"]}
    assert got == {p.id: (p.id in targets) + (p.id in best_targets) for p in people}
