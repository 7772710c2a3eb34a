"""NPS and satisfaction surveys through GraphQL: staff build and publish them, members who qualify
(a recent purchase, or attending an event) answer once, points are paid once, and the results
staff read equal a reference computed here from the answers given."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from domain.store.tables import audit_log, survey_answers
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token
from tests.support.sql_counter import count_statements

SAVE = "mutation($i: SaveSurveyInput!) { saveSurvey(input: $i) { id state minScore maxScore } }"
PUBLISH = "mutation($id: ID!) { publishSurvey(id: $id) { id state } }"
CLOSE = "mutation($id: ID!) { closeSurvey(id: $id) { id state } }"
OPEN = "{ openSurveys { id question kind } }"
ANSWER = """mutation($s: ID!, $score: Int!, $c: String, $k: String!) {
  answerSurvey(surveyId: $s, score: $score, comment: $c, idempotencyKey: $k) {
    answer { id score comment pointsAwarded } survey { id }
  } }"""
TALLY = "responses nps promoters passives detractors averageHundredths distribution { score count }"
RESULTS = f"""query($s: ID!) {{ surveyResults(surveyId: $s) {{
  overall {{ {TALLY} }}
  byTier {{ key label results {{ {TALLY} }} }}
  byStore {{ key label results {{ {TALLY} }} }}
}} }}"""
POINTS = "{ me { points { total available } } }"
HISTORY = "{ me { pointsHistory(first: 100) { edges { node { amount sourceType sourceDetail sourceRef } } } } }"
PURCHASE = """mutation($m: String!, $o: String!, $s: String!, $c: Int!, $at: DateTime) { recordPurchase(input: {
  member: {phone: $m}, orderId: $o, storeId: $s, amountCents: $c, items: [{category: "x", amountCents: $c}],
  purchasedAt: $at }) { pointsEarned } }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    return api, await staff_token(api)


def survey_input(api: ApiClient, **extra: object) -> dict:
    now = api.container.now()
    return {"kind": "NPS", "question": "How likely are you to recommend us to a friend?",
            "trigger": "AFTER_PURCHASE", "purchaseWithinDays": 7, "allowComment": True, "points": 50,
            "startsAt": (now - timedelta(hours=1)).isoformat(), "endsAt": (now + timedelta(days=30)).isoformat(),
            **extra}


async def published(api: ApiClient, staff: str, **extra: object) -> str:
    survey = (await api.data(SAVE, {"i": survey_input(api, **extra)}, staff))["saveSurvey"]
    assert survey["state"] == "DRAFT"
    assert (await api.data(PUBLISH, {"id": survey["id"]}, staff))["publishSurvey"]["state"] == "PUBLISHED"
    return survey["id"]


async def buy(api: ApiClient, staff: str, phone: str, order: str, store: str = "S1", cents: int = 10_000,
              days_ago: float | None = None) -> None:
    at = (api.container.now() - timedelta(days=days_ago)).isoformat() if days_ago is not None else None
    await api.data(PURCHASE, {"m": phone, "o": order, "s": store, "c": cents, "at": at}, staff)


async def answer(api: ApiClient, token: str, survey: str, score: int, key: str, comment: str | None = None) -> dict:
    return await api.gql(ANSWER, {"s": survey, "score": score, "c": comment, "k": key}, token)


async def survey_entries(api: ApiClient, token: str) -> list[dict]:
    edges = (await api.data(HISTORY, token=token))["me"]["pointsHistory"]["edges"]
    return [e["node"] for e in edges if (e["node"]["sourceType"], e["node"]["sourceDetail"]) == ("ACTIVITY", "SURVEY")]


async def test_member_answers_once_after_a_purchase_and_is_paid_once(setup) -> None:
    api, staff = setup
    survey = (await api.data(SAVE, {"i": survey_input(api)}, staff))["saveSurvey"]
    assert (survey["minScore"], survey["maxScore"]) == (0, 10)
    alice = await api.sign_in("13800138000")
    assert (await api.data(OPEN, token=alice.access_token))["openSurveys"] == [], "a draft is not shown"
    assert error_codes(await answer(api, alice.access_token, survey["id"], 9, "a-1")) == ["NOT_FOUND"]
    await api.data(PUBLISH, {"id": survey["id"]}, staff)
    assert (await api.data(OPEN, token=alice.access_token))["openSurveys"] == [], "no purchase yet"
    refused = await answer(api, alice.access_token, survey["id"], 9, "a-1")
    assert error_codes(refused) == ["NOT_ELIGIBLE"]

    await buy(api, staff, "13800138000", "O-1")
    before = (await api.data(POINTS, token=alice.access_token))["me"]["points"]
    listed = (await api.data(OPEN, token=alice.access_token))["openSurveys"]
    assert [s["id"] for s in listed] == [survey["id"]]
    first = await api.data(ANSWER, {"s": survey["id"], "score": 9, "c": " Friendly staff ", "k": "a-1"},
                           alice.access_token)
    given = first["answerSurvey"]["answer"]
    assert given["score"] == 9 and given["comment"] == "Friendly staff" and given["pointsAwarded"] == 50
    retry = await api.data(ANSWER, {"s": survey["id"], "score": 9, "c": " Friendly staff ", "k": "a-1"},
                           alice.access_token)
    assert retry == first, "a retry with the same key returns the same answer"
    assert error_codes(await answer(api, alice.access_token, survey["id"], 3, "a-2")) == ["ALREADY_ANSWERED"]
    assert error_codes(await answer(api, alice.access_token, survey["id"], 3, "a-1")) == ["IDEMPOTENCY_CONFLICT"]

    after = (await api.data(POINTS, token=alice.access_token))["me"]["points"]
    assert after["total"] == before["total"] + 50 and after["available"] == before["available"] + 50
    assert await survey_entries(api, alice.access_token) == [
        {"amount": 50, "sourceType": "ACTIVITY", "sourceDetail": "SURVEY", "sourceRef": survey["id"]}]
    assert (await api.data(OPEN, token=alice.access_token))["openSurveys"] == [], "answered surveys leave the list"
    await api.data(CLOSE, {"id": survey["id"]}, staff)
    late_retry = await api.data(ANSWER, {"s": survey["id"], "score": 9, "c": " Friendly staff ", "k": "a-1"},
                                alice.access_token)
    assert late_retry == first, "a retry that arrives after closing still gets its answer back"
    overall = (await api.data(RESULTS, {"s": survey["id"]}, staff))["surveyResults"]["overall"]
    assert overall["responses"] == 1 and overall["promoters"] == 1 and overall["nps"] == 100


async def test_purchase_window_and_store_filter_decide_eligibility(setup) -> None:
    api, staff = setup
    survey = await published(api, staff, purchaseWithinDays=3, storeIds=["S2", "S3"])
    bob = await api.sign_in("13900139000")
    await buy(api, staff, "13900139000", "B-1", store="S1")
    await buy(api, staff, "13900139000", "B-2", store="S2", days_ago=5)
    assert (await api.data(OPEN, token=bob.access_token))["openSurveys"] == []
    assert error_codes(await answer(api, bob.access_token, survey, 6, "b-1")) == ["NOT_ELIGIBLE"]
    await buy(api, staff, "13900139000", "B-3", store="S3", days_ago=2)
    await buy(api, staff, "13900139000", "B-4", store="S2", days_ago=1)
    assert len((await api.data(OPEN, token=bob.access_token))["openSurveys"]) == 1
    assert "errors" not in await answer(api, bob.access_token, survey, 6, "b-1")
    by_store = (await api.data(RESULTS, {"s": survey}, staff))["surveyResults"]["byStore"]
    assert [(g["key"], g["results"]["responses"]) for g in by_store] == [("S2", 1)], "the latest qualifying purchase"


async def test_event_attendees_may_answer_an_after_event_survey(setup) -> None:
    api, staff = setup
    now = api.container.now()
    event = (await api.data("mutation($i: SaveEventInput!) { saveEvent(input: $i) { id } }", {"i": {
        "title": "Wine tasting", "capacity": 5, "signupOpensAt": (now - timedelta(days=1)).isoformat(),
        "signupClosesAt": (now + timedelta(days=1)).isoformat(), "startsAt": (now + timedelta(days=2)).isoformat(),
    }}, staff))["saveEvent"]["id"]
    survey = await published(api, staff, kind="SATISFACTION", trigger="AFTER_EVENT", eventId=event,
                             purchaseWithinDays=None, points=0, question="How was the tasting?")
    carol = await api.sign_in("13700137000")
    await buy(api, staff, "13700137000", "C-1")
    signup = (await api.data("mutation($e: ID!) { signUpForEvent(eventId: $e) { checkinCode } }", {"e": event},
                             carol.access_token))["signUpForEvent"]
    assert (await api.data(OPEN, token=carol.access_token))["openSurveys"] == [], "signed up is not attended"
    assert error_codes(await answer(api, carol.access_token, survey, 4, "c-1")) == ["NOT_ELIGIBLE"]
    await api.data("mutation($c: String!) { checkInAttendee(code: $c) { status } }", {"c": signup["checkinCode"]},
                   staff)
    assert [s["kind"] for s in (await api.data(OPEN, token=carol.access_token))["openSurveys"]] == ["SATISFACTION"]
    given = (await api.data(ANSWER, {"s": survey, "score": 4, "k": "c-1"}, carol.access_token))["answerSurvey"]
    assert given["answer"]["pointsAwarded"] == 0 and await survey_entries(api, carol.access_token) == []
    results = (await api.data(RESULTS, {"s": survey}, staff))["surveyResults"]
    assert results["overall"]["averageHundredths"] == 400 and results["overall"]["nps"] is None
    assert [g["key"] for g in results["byStore"]] == [None], "event answers have no store"
    bad = await api.gql(SAVE, {"i": survey_input(api, trigger="AFTER_EVENT", eventId="999999",
                                                 purchaseWithinDays=None)}, staff)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_bad_or_late_answers_are_refused_and_change_nothing(setup) -> None:
    api, staff = setup
    now = api.container.now()
    nps = await published(api, staff)
    quiet = await published(api, staff, kind="SATISFACTION", allowComment=False)
    later = await published(api, staff, startsAt=(now + timedelta(days=1)).isoformat())
    closed = await published(api, staff)
    assert (await api.data(CLOSE, {"id": closed}, staff))["closeSurvey"]["state"] == "CLOSED"
    dan = await api.sign_in("13600136000")
    await buy(api, staff, "13600136000", "D-1")
    before = (await api.data(POINTS, token=dan.access_token))["me"]["points"]
    listed = {s["id"] for s in (await api.data(OPEN, token=dan.access_token))["openSurveys"]}
    assert listed == {nps, quiet}, "neither closed nor not-yet-open surveys are listed"

    for survey, score, comment, key, field in [
        (nps, 11, None, "k-1", "score"), (nps, -1, None, "k-1", "score"), (quiet, 0, None, "k-1", "score"),
        (quiet, 6, None, "k-1", "score"), (quiet, 4, "Nice", "k-1", "comment"), (nps, 8, "x" * 1001, "k-1", "comment"),
        (nps, 8, None, "no spaces allowed", "idempotencyKey"),
    ]:
        body = await answer(api, dan.access_token, survey, score, key, comment)
        assert error_codes(body) == ["BAD_USER_INPUT"], (survey, score, comment)
        assert [f["field"] for f in body["errors"][0]["extensions"]["fieldErrors"]] == [field]
    assert error_codes(await answer(api, dan.access_token, closed, 8, "k-1")) == ["FORBIDDEN"]
    assert error_codes(await answer(api, dan.access_token, later, 8, "k-1")) == ["FORBIDDEN"]
    assert error_codes(await answer(api, dan.access_token, "424242", 8, "k-1")) == ["NOT_FOUND"]
    assert error_codes(await answer(api, dan.access_token, "nope", 8, "k-1")) == ["BAD_USER_INPUT"]

    assert (await api.data(POINTS, token=dan.access_token))["me"]["points"] == before
    for survey in (nps, quiet, later, closed):
        assert (await api.data(RESULTS, {"s": survey}, staff))["surveyResults"]["overall"]["responses"] == 0
    ok = await answer(api, dan.access_token, nps, 10, "k-1", "x" * 1000)
    assert ok["data"]["answerSurvey"]["answer"]["pointsAwarded"] == 50, "the same key still works after failures"


async def test_listing_open_surveys_costs_the_same_statements_for_one_or_many(setup) -> None:
    api, staff = setup
    now = api.container.now()
    event = (await api.data("mutation($i: SaveEventInput!) { saveEvent(input: $i) { id } }", {"i": {
        "title": "Launch", "capacity": 5, "signupOpensAt": (now - timedelta(days=1)).isoformat(),
        "signupClosesAt": (now + timedelta(days=1)).isoformat(), "startsAt": (now + timedelta(days=2)).isoformat(),
    }}, staff))["saveEvent"]["id"]
    jo = await api.sign_in("13300133000")
    await buy(api, staff, "13300133000", "J-1", store="S1")
    await buy(api, staff, "13300133000", "J-2", store="S2")

    async def statements() -> tuple[int, int]:
        with count_statements(api.container.engine) as seen:
            listed = (await api.data(OPEN, token=jo.access_token))["openSurveys"]
        return len(listed), len(seen)

    await statements()  # the member's first request reads their profile into the cache
    await published(api, staff)
    await published(api, staff, trigger="AFTER_EVENT", eventId=event, purchaseWithinDays=None)
    one_of_each = await statements()
    for i in range(6):
        await published(api, staff, storeIds=[f"S{i}"], purchaseWithinDays=i + 1)
        await published(api, staff, trigger="AFTER_EVENT", eventId=event, purchaseWithinDays=None)
    many = await statements()
    assert one_of_each[0] == 1 and many[0] == 3, "event surveys wait for attendance; S1 and S2 purchases qualify"
    assert many[1] == one_of_each[1], "no statement per survey"


async def test_staff_manage_surveys_and_are_audited(setup) -> None:
    api, staff = setup
    now = api.container.now()
    invalid = await api.gql(SAVE, {"i": survey_input(api, question=" ", purchaseWithinDays=0, points=-1,
                                                     endsAt=(now - timedelta(days=1)).isoformat())}, staff)
    assert error_codes(invalid) == ["BAD_USER_INPUT"]
    assert {f["field"] for f in invalid["errors"][0]["extensions"]["fieldErrors"]} == {
        "question", "purchaseWithinDays", "points", "endsAt"}
    draft = (await api.data(SAVE, {"i": survey_input(api)}, staff))["saveSurvey"]["id"]
    changed = await api.data(SAVE, {"i": survey_input(api, id=draft, kind="SATISFACTION")}, staff)
    assert changed["saveSurvey"]["maxScore"] == 5, "a draft can be changed"
    live = await published(api, staff)
    assert (await api.data(PUBLISH, {"id": live}, staff))["publishSurvey"]["state"] == "PUBLISHED"
    assert error_codes(await api.gql(SAVE, {"i": survey_input(api, id=live)}, staff)) == ["CONFLICT"]
    await api.data(CLOSE, {"id": live}, staff)
    assert error_codes(await api.gql(PUBLISH, {"id": live}, staff)) == ["CONFLICT"]
    assert error_codes(await api.gql(PUBLISH, {"id": "424242"}, staff)) == ["NOT_FOUND"]

    page = "query($a: String, $st: SurveyState) { surveys(first: 1, after: $a, state: $st) { edges { node { id } } " \
           "pageInfo { hasNextPage endCursor } } }"
    first = (await api.data(page, {}, staff))["surveys"]
    assert [e["node"]["id"] for e in first["edges"]] == [live] and first["pageInfo"]["hasNextPage"]
    second = (await api.data(page, {"a": first["pageInfo"]["endCursor"]}, staff))["surveys"]
    assert [e["node"]["id"] for e in second["edges"]] == [draft] and not second["pageInfo"]["hasNextPage"]
    drafts = (await api.data(page, {"st": "DRAFT"}, staff))["surveys"]["edges"]
    assert [e["node"]["id"] for e in drafts] == [draft]
    async with api.container.engine.connect() as conn:
        actions = Counter((await conn.execute(select(audit_log.c.action).where(
            audit_log.c.action.like("survey.%")))).scalars())
    assert actions == {"survey.saved": 3, "survey.published": 1, "survey.closed": 1}


async def test_members_cannot_manage_surveys_or_read_results(setup) -> None:
    api, staff = setup
    survey = await published(api, staff)
    eve = await api.sign_in("13500135000")
    for query, variables in [(SAVE, {"i": survey_input(api)}), (PUBLISH, {"id": survey}), (CLOSE, {"id": survey}),
                             (RESULTS, {"s": survey}), ("query($id: ID!) { survey(id: $id) { id } }", {"id": survey}),
                             ("{ surveys { edges { node { id } } } }", {})]:
        assert error_codes(await api.gql(query, variables, eve.access_token)) == ["FORBIDDEN"], query
    assert error_codes(await api.gql(OPEN)) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(ANSWER, {"s": survey, "score": 9, "k": "s-1"}, staff)) == ["FORBIDDEN"]
    assert (await api.data(PUBLISH, {"id": survey}, staff))["publishSurvey"]["state"] == "PUBLISHED"


async def test_a_survey_earning_rule_caps_survey_points_per_day(setup) -> None:
    api, staff = setup
    rule = """mutation { saveEarningRule(input: {kind: ACTIVITY, name: "Surveys", activity: SURVEY, points: 5,
      cap: 60}) { rule { id } } }"""
    await api.data(rule, token=staff)
    first, second, third = [await published(api, staff, points=50) for _ in range(3)]
    fay = await api.sign_in("13400134000")
    await buy(api, staff, "13400134000", "F-1")
    paid = [(await api.data(ANSWER, {"s": s, "score": 8, "k": f"f-{s}"}, fay.access_token))["answerSurvey"]
            ["answer"]["pointsAwarded"] for s in (first, second, third)]
    assert paid == [50, 10, 0], "the survey's own points, within what is left of the day's cap"
    assert sorted(e["amount"] for e in await survey_entries(api, fay.access_token)) == [10, 50]


def _reference(kind: str, scores: list[int]) -> dict:
    """The figures staff should see, computed independently with decimals."""
    scale = range(11) if kind == "NPS" else range(1, 6)
    counts = Counter(scores)
    n = len(scores)
    promoters = sum(1 for s in scores if s >= 9) if kind == "NPS" else 0
    passives = sum(1 for s in scores if 7 <= s <= 8) if kind == "NPS" else 0
    detractors = sum(1 for s in scores if s <= 6) if kind == "NPS" else 0

    def half_away(value: Decimal) -> int:
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # ROUND_HALF_UP rounds halves away from 0

    return {"responses": n,
            "nps": half_away(Decimal(100 * (promoters - detractors)) / Decimal(n)) if kind == "NPS" and n else None,
            "promoters": promoters, "passives": passives, "detractors": detractors,
            "averageHundredths": half_away(Decimal(100 * sum(scores)) / Decimal(n)) if n else None,
            "distribution": [{"score": s, "count": counts[s]} for s in scale]}


@pytest.mark.parametrize("kind", ["NPS", "SATISFACTION"])
async def test_results_and_breakdowns_equal_a_reference(setup, kind: str) -> None:
    api, staff = setup
    survey = await published(api, staff, kind=kind, points=0)
    rng = random.Random(20261129)
    tiers = {"BASE": 10_000, "GOLD": 5_000_000, "PLATINUM": 10_000_000}
    answers: list[tuple[str, str, int]] = []  # (tier code, store, score)
    for i in range(14):
        phone = f"1330000{i:04d}"
        member = await api.sign_in(phone)
        tier = rng.choice(sorted(tiers))
        store = rng.choice(["S1", "S2", "S3"])
        await buy(api, staff, phone, f"R-{i}", store=store, cents=tiers[tier])
        score = rng.randint(0, 10) if kind == "NPS" else rng.randint(1, 5)
        await api.data(ANSWER, {"s": survey, "score": score, "k": f"r-{i}"}, member.access_token)
        answers.append((tier, store, score))
    # A later upgrade does not move an answer given on the old tier.
    base_phone = next(f"1330000{i:04d}" for i, a in enumerate(answers) if a[0] == "BASE")
    await buy(api, staff, base_phone, "R-upgrade", store="S9", cents=20_000_000)

    results = (await api.data(RESULTS, {"s": survey}, staff))["surveyResults"]
    assert results["overall"] == _reference(kind, [s for _t, _st, s in answers])
    by_tier: dict[str, list[int]] = defaultdict(list)
    by_store: dict[str, list[int]] = defaultdict(list)
    for tier, store, score in answers:
        by_tier[tier].append(score)
        by_store[store].append(score)
    rank = {"BASE": 0, "GOLD": 1, "PLATINUM": 2}
    assert [g["key"] for g in results["byTier"]] == sorted(by_tier, key=rank.__getitem__)
    assert {g["key"]: g["results"] for g in results["byTier"]} == {t: _reference(kind, s) for t, s in by_tier.items()}
    names = {"BASE": "Member", "GOLD": "Gold", "PLATINUM": "Platinum"}
    assert [g["label"] for g in results["byTier"]] == [names[g["key"]] for g in results["byTier"]]
    assert {g["key"]: g["results"] for g in results["byStore"]} == {
        st: _reference(kind, s) for st, s in by_store.items()}


async def test_erasing_a_members_comments_keeps_their_scores(setup) -> None:
    api, staff = setup
    survey = await published(api, staff)
    gus = await api.sign_in("13200132000")
    await buy(api, staff, "13200132000", "G-1")
    await api.data(ANSWER, {"s": survey, "score": 3, "c": "My name is Gus and ...", "k": "g-1"}, gus.access_token)
    erase = 'mutation { requestErasure(input: {confirmation: "ERASE MY DATA"}) { alreadyErased } }'
    assert (await api.data(erase, token=gus.access_token))["requestErasure"]["alreadyErased"] is False
    async with api.container.engine.connect() as conn:
        row = (await conn.execute(select(survey_answers.c.comment, survey_answers.c.score))).one()
    assert tuple(row) == (None, 3)
    assert (await api.data(RESULTS, {"s": survey}, staff))["surveyResults"]["overall"]["detractors"] == 1


@pytest.mark.postgres
async def test_concurrent_duplicate_answers_store_one_and_pay_once(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    survey = await published(api, staff)
    hal = await api.sign_in("13100131000")
    await buy(api, staff, "13100131000", "H-1")
    before = (await api.data(POINTS, token=hal.access_token))["me"]["points"]["total"]
    bodies = await asyncio.gather(*(answer(api, hal.access_token, survey, 7 + i % 3, f"h-{i % 4}")
                                    for i in range(12)))
    answered = [b["data"]["answerSurvey"]["answer"] for b in bodies if "errors" not in b]
    assert len({a["id"] for a in answered}) == 1, "every success is the one stored answer"
    assert {c for b in bodies for c in error_codes(b)} <= {"ALREADY_ANSWERED", "IDEMPOTENCY_CONFLICT"}
    async with api.container.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(survey_answers)) == 1
    assert len(await survey_entries(api, hal.access_token)) == 1
    assert (await api.data(POINTS, token=hal.access_token))["me"]["points"]["total"] == before + 50


@pytest.mark.postgres
async def test_the_unique_key_alone_keeps_one_answer_per_member(pg_api: ApiClient) -> None:
    """Even two transactions that skip the member lock cannot both store an answer."""
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    survey = int(await published(api, staff))
    ivy = int((await api.sign_in("13000130000")).member_id)
    now = api.container.now()
    first, second = api.container.uow(), api.container.uow()
    async with first:
        assert await first.surveys.add_answer(survey, ivy, 9, None, None, None, "i-1", now) is not None
        async with second:
            racing = asyncio.create_task(second.surveys.add_answer(survey, ivy, 2, None, None, None, "i-2", now))
            await asyncio.sleep(0.2)
            assert not racing.done(), "the second insert waits for the first transaction"
            await first.commit()
            assert await racing is None
            await second.commit()
    async with api.container.engine.connect() as conn:
        rows = (await conn.execute(select(survey_answers.c.score, survey_answers.c.idempotency_key))).all()
    assert [tuple(r) for r in rows] == [(9, "i-1")]
