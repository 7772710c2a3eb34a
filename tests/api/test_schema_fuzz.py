"""Schema fuzzing (hypothesis-graphql): documents generated from the SDL for every Query and Mutation root
field, sent as a member and as staff to the app on PostgreSQL. Any HTTP 500, any INTERNAL_SERVER_ERROR
and any response slower than 2 s fails. Generation is derandomized (the same cases every run) and
bounded (FUZZ_EXAMPLES per field and role, default 4) to keep CI quick."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import graphql
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from api.app import create_app
from api.sms import DevCodeSink
from tests.conftest import app_settings
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

pytestmark = pytest.mark.postgres

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
SLOW_SECONDS = 2.0
SDL = graphql.build_schema((Path(__file__).parents[2] / "schema.graphql").read_text())

_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
SCALARS = {
    "Date": st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(lambda d: nodes.String(d.isoformat())),
    "DateTime": st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=_offsets),
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    ).map(lambda d: nodes.String(d.isoformat())),
    "Long": st.integers(-(2**63), 2**63 - 1).map(nodes.Int),
    "JSON": st.text(max_size=20).map(nodes.String),
}


def documents(kind: str, field: str) -> list[str]:
    make = queries if kind == "query" else mutations
    found: list[str] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(make(SDL, fields=[field], custom_scalars=SCALARS))
    def collect(document: str) -> None:
        found.append(document)

    collect()
    return found


FIELDS = [("query", name) for name in SDL.query_type.fields] + [("mutation", name)
                                                                 for name in SDL.mutation_type.fields]


@pytest.fixture
async def fuzz_api(postgres_url: str):
    api = ApiClient(create_app(app_settings(postgres_url), code_sender=DevCodeSink()), DevCodeSink())
    api.sink = api.container.code_sender  # type: ignore[assignment]
    yield api
    await api.close()
    await api.container.close()


async def test_no_generated_document_breaks_the_server(fuzz_api: ApiClient) -> None:
    api = fuzz_api
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    callers = {"member": member.access_token, "staff": await staff_token(api)}
    failures: list[str] = []
    cases = 0
    started = time.monotonic()
    for kind, field in FIELDS:
        for document in documents(kind, field):
            for role, token in callers.items():
                cases += 1
                sent = time.perf_counter()
                response = await api.post(document, token=token)
                took = time.perf_counter() - sent
                problem = None
                if response.status_code >= 500:
                    problem = f"HTTP {response.status_code}"
                elif "INTERNAL_SERVER_ERROR" in error_codes(response.json()):
                    problem = "INTERNAL_SERVER_ERROR"
                elif took > SLOW_SECONDS:
                    problem = f"{took:.2f} s"
                if problem:
                    failures.append(f"{problem} as {role}: {document[:300]!r}")
    print(f"\nschema fuzz: {cases} cases over {len(FIELDS)} root fields x {len(callers)} roles "
          f"in {time.monotonic() - started:.1f} s")
    assert not failures, "\n".join(failures[:20])
