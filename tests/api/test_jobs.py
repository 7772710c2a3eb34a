"""Staff see job runs and run a job now; `serve`'s in-process runner runs the registry's jobs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from sqlalchemy import text

from api.job_runner import InProcessJobRunner
from api.jobs import JOBS
from tests.support.client import ApiClient, error_codes
from tests.support.roles import staff_token

RUNS = """query($job: String) { jobRuns(job: $job, first: 10) {
    nodes { id job trigger status started finished counts { name value } error } } }"""
RUN = "mutation($job: String!) { runJob(job: $job) { id job status trigger } }"
# Every registered job, so a job added to the registry is off here too.
EVERYTHING_OFF = {job.name: "off" for job in JOBS}


async def _until(check, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_staff_run_a_job_and_follow_it_in_job_runs(api: ApiClient) -> None:
    staff = await staff_token(api)
    member = await api.sign_in("13800138000")
    refused = await api.gql(RUN, {"job": "expire-points"}, member.access_token)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert error_codes(await api.gql(RUNS, {}, member.access_token)) == ["FORBIDDEN"]
    unknown = await api.gql(RUN, {"job": "drop-tables"}, staff)
    assert error_codes(unknown) == ["BAD_USER_INPUT"]
    assert unknown["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "job"

    queued = (await api.data(RUN, {"job": "expire-points"}, staff))["runJob"]
    assert queued["status"] == "QUEUED" and queued["trigger"].startswith("staff:")
    async with api.container.engine.connect() as conn:
        audit = (await conn.execute(text("SELECT action, target FROM audit_log WHERE action = 'job.triggered'"))).all()
        assert [tuple(a) for a in audit] == [("job.triggered", "job:expire-points")]
        if conn.dialect.name == "postgresql":  # handed to procrastinate in the same transaction
            # (other tests' outbox writes may have left a relay job waiting: the suite does not empty this queue)
            engine_jobs = (await conn.execute(text("SELECT task_name, args FROM procrastinate_jobs "
                                                   "WHERE task_name <> 'deliver-webhooks'"))).all()
            assert [(j.task_name, j.args) for j in engine_jobs] == [("expire-points", {"run_id": int(queued["id"])})]

    container = api.container
    container.settings = replace(container.settings, job_schedules=EVERYTHING_OFF)
    runner = InProcessJobRunner(container)
    runner.start()
    try:
        async def done() -> bool:
            runs = (await api.data(RUNS, {"job": "expire-points"}, staff))["jobRuns"]["nodes"]
            return [r["status"] for r in runs] == ["DONE"]
        await _until(done)
    finally:
        await runner.stop(5)
    run = (await api.data(RUNS, {"job": "expire-points"}, staff))["jobRuns"]["nodes"][0]
    assert run["id"] == queued["id"] and run["started"] and run["finished"] and run["error"] is None
    assert {c["name"] for c in run["counts"]} == {"members", "lots", "points"}


async def test_in_process_runner_runs_jobs_on_their_schedule(api: ApiClient) -> None:
    staff = await staff_token(api)
    container = api.container
    container.settings = replace(container.settings,
                                 job_schedules={**EVERYTHING_OFF, "compute-segments": "every 1s"})
    runner = InProcessJobRunner(container)
    runner.start()
    try:
        async def two_runs() -> bool:
            runs = (await api.data(RUNS, {"job": "compute-segments"}, staff))["jobRuns"]["nodes"]
            return len([r for r in runs if r["status"] == "DONE"]) >= 2
        await _until(two_runs)
    finally:
        await runner.stop(5)
    runs = (await api.data(RUNS, {}, staff))["jobRuns"]["nodes"]
    assert {r["job"] for r in runs} == {"compute-segments"}, "jobs switched off did not run"
    assert all(r["trigger"] == "schedule" for r in runs)
