"""Survey results benchmark: how long staff wait for `surveyResults` (overall, by tier, by store)
as a survey collects answers, through the use case and through GraphQL, on PostgreSQL.

    .venv/bin/python -m bench.surveys [--quick] [--answers N,N,...] [--samples K]

Answers are bulk-loaded with SQLAlchemy Core (members, then one answer each, seeded random
scores, tiers and stores); every timed result is checked against a tally computed here from
the loaded rows. Figures go to stdout, progress to stderr. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import insert, text

from api.container import Container
from api.progress import ProgressBar
from bench.environment import bench_environment, describe
from bench.stats import time_calls
from domain.auth.viewer import Role, StaffGrant, Viewer
from domain.store.tables import members, survey_answers
from domain.surveys.model import Survey, SurveyKind, SurveyTrigger
from domain.surveys.services import publish_survey, save_survey, survey_results

say = functools.partial(print, flush=True)
STAFF = Viewer(Role.STAFF, 1)
BATCH = 5_000
WARMUP = 5
STORES = [f"S{i:02d}" for i in range(20)]
QUERY = """query($s: ID!) { surveyResults(surveyId: $s) {
  overall { responses nps averageHundredths distribution { score count } }
  byTier { key results { responses nps } } byStore { key results { responses nps } } } }"""


async def load_answers(container: Container, survey_id: int, count: int, first_phone: int,
                       rng: random.Random) -> Counter[int]:
    """`count` new members with one answer each; returns the scores given, for the checks."""
    now = container.now()
    async with container.engine.connect() as conn:
        tier_ids = list((await conn.execute(text("SELECT id FROM tiers ORDER BY rank"))).scalars())
    scores: Counter[int] = Counter()
    bar = ProgressBar(count, f"loading {count:,} answers")
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        phones = [f"1{first_phone + start + i:010d}" for i in range(size)]
        async with container.engine.begin() as conn:
            rows = await conn.execute(insert(members).returning(members.c.id), [
                dict(phone=p, member_code=f"B{p[-10:]}", tags=[], joined_at=now) for p in phones])
            ids = list(rows.scalars())
            answers = []
            for member_id in ids:
                score = rng.randint(0, 10)
                scores[score] += 1
                answers.append(dict(survey_id=survey_id, member_id=member_id, score=score, comment=None,
                                    tier_id=rng.choice(tier_ids), store_id=rng.choice(STORES), points_awarded=0,
                                    idempotency_key=f"bench-{member_id}", answered_at=now))
            await conn.execute(insert(survey_answers), answers)
        bar.advance(size)
    # VACUUM ANALYZE, as autovacuum would: fresh statistics and a visibility map for index-only scans.
    async with container.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE survey_answers"))
    return scores


async def run(answer_counts: list[int], samples: int) -> None:
    async with bench_environment(use_redis=False) as bench:
        container = bench.container
        say(f"Survey results: one NPS survey, answers spread over {len(STORES)} stores and the 4 tiers; "
            f"{samples} sequential requests per row, ms ({await describe(container)})")
        say(f"{'answers':>10}   {'use case p50/p95/p99':>24}   {'GraphQL p50/p95/p99':>24}")
        rng = random.Random(8)
        now = container.now()
        async with container.uow() as uow:
            operator = await uow.staff.add("bench-surveys", "x", "运营", now)
            await uow.commit()
        # Staff tokens name the account's role and version, checked against the account per request.
        token = container.tokens.issue_access(Role.STAFF, operator.id, now,
                                              staff=StaffGrant(operator.role, operator.version)).token
        loaded = 0
        for count in answer_counts:
            survey = await save_survey(container.uow(), STAFF, Survey(
                0, SurveyKind.NPS, "Recommend us?", SurveyTrigger.AFTER_PURCHASE, now - timedelta(days=1),
                now + timedelta(days=30), purchase_within_days=7), now)
            await publish_survey(container.uow(), STAFF, survey.id, now)
            scores = await load_answers(container, survey.id, count, 3_000_000_000 + loaded, rng)
            loaded += count

            async def domain_call(survey_id: int = survey.id, expected: Counter[int] = scores) -> None:
                found = await survey_results(container.uow(), STAFF, survey_id)
                if dict(found.overall.distribution) != {s: expected.get(s, 0) for s in range(11)}:
                    raise RuntimeError("results disagree with the loaded answers")
                if sum(g.tally.responses for g in found.by_store) != sum(expected.values()):
                    raise RuntimeError("store breakdown does not add up")

            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bench.app),
                                         base_url="http://bench") as client:
                async def graphql_call(survey_id: int = survey.id, expected: int = count) -> None:
                    response = await client.post("/graphql", json={"query": QUERY, "variables": {"s": survey_id}},
                                                 headers={"authorization": f"Bearer {token}"})
                    body = response.json()
                    if "errors" in body or body["data"]["surveyResults"]["overall"]["responses"] != expected:
                        raise RuntimeError(f"GraphQL results failed: {response.text[:300]}")

                use_case = await time_calls(domain_call, samples, WARMUP)
                over_http = await time_calls(graphql_call, samples, WARMUP)
            say(f"{count:>10,}   {use_case.ms():>24}   {over_http.ms():>24}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 answers, 20 samples")
    parser.add_argument("--answers", help="comma-separated answer counts (default 1,000,10,000,100,000)")
    parser.add_argument("--samples", type=int)
    args = parser.parse_args()
    counts = [int(x) for x in args.answers.split(",")] if args.answers else (
        [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    asyncio.run(run(counts, args.samples or (20 if args.quick else 100)))


if __name__ == "__main__":
    main()
