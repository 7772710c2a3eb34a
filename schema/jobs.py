"""Staff see background job runs and run a job now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import cursors
from domain.jobs import services
from domain.jobs.model import JobRun as DomainJobRun
from domain.jobs.model import JobRunStatus as DomainJobRunStatus
from schema.connections import PageInfo
from schema.enums import register_enum
from schema.info import Info

register_enum(DomainJobRunStatus, "JobRunStatus", "Where a background job run stands.", {
    "QUEUED": "Asked for (runJob), not started yet.",
    "RUNNING": "Started, not finished.",
    "DONE": "Finished; `counts` says what it did.",
    "FAILED": "Stopped with `error`; the job engine retries failed scheduled runs.",
})
JobRunStatus = DomainJobRunStatus


@strawberry.type(description="One figure a job run reports, e.g. `granted: 3` for birthday rewards.")
class JobCount:
    name: str = strawberry.field(description="What was counted (job-specific, e.g. `delivered`).")
    value: int = strawberry.field(description="How many.")


@strawberry.type(description="One run of a background job (README \"Jobs\" lists them and their schedules).")
class JobRun:
    id: strawberry.ID = strawberry.field(description="Id of the run.")
    job: str = strawberry.field(description="The job's name, e.g. `expire-points`.")
    trigger: str = strawberry.field(description="What started it: `schedule`, `outbox` (a new outbox row), "
                                                "`staff:<id>` (runJob) or `staff` once started.")
    status: JobRunStatus = strawberry.field(description="Where the run stands.")
    queued_at: datetime = strawberry.field(description="When it was asked for (or started, for scheduled runs).")
    scheduled_for: datetime | None = strawberry.field(description="The schedule tick it ran for; null when not "
                                                                  "scheduled.")
    started: datetime | None = strawberry.field(description="When it started; null while queued.")
    finished: datetime | None = strawberry.field(description="When it finished; null while queued or running.")
    counts: list[JobCount] = strawberry.field(description="What it did, reported by the job.")
    error: str | None = strawberry.field(description="Why it failed; null unless FAILED.")

    @classmethod
    def from_domain(cls, r: DomainJobRun) -> JobRun:
        return cls(id=strawberry.ID(str(r.id)), job=r.job, trigger=r.trigger, status=r.status,
                   queued_at=r.queued_at, scheduled_for=r.scheduled_for, started=r.started_at,
                   finished=r.finished_at, counts=[JobCount(name=k, value=v) for k, v in sorted(r.counts.items())],
                   error=r.error)


@strawberry.type(description="One job run in a page of runs.")
class JobRunEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this run: pass it as `after` for the next page.")
    node: JobRun = strawberry.field(description="The run.")


@strawberry.type(description="A page of job runs, newest first.")
class JobRunConnection:
    edges: list[JobRunEdge] = strawberry.field(description="The runs of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to continue from.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[JobRun]:
        return [e.node for e in self.edges]


@strawberry.type
class JobQueries:
    @strawberry.field(description="Staff: background job runs, newest first; page with `first`/`after`.")
    async def job_runs(
        self, info: Info,
        job: Annotated[str | None, strawberry.argument(description="Only this job's runs (e.g. `expire-points`); "
                                                                   "null: all.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 100 (else BAD_USER_INPUT).")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor from the previous page (`endCursor`); null: the newest.")] = None,
    ) -> JobRunConnection:
        rows, has_next = await services.job_runs(services.ListJobRuns(
            job, first, cursors.decode_int(after)[1] if after else None), info.context.deps())
        edges = [JobRunEdge(cursor=cursors.encode(r.id, r.id), node=JobRun.from_domain(r)) for r in rows]
        return JobRunConnection(edges=edges, page_info=PageInfo(
            has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class JobMutations:
    @strawberry.mutation(description="Staff: run a background job now (audited as `job.triggered`). It runs on a "
                                     "worker like a scheduled run, never alongside another run of the same job; "
                                     "follow it in `jobRuns`. Unknown job: BAD_USER_INPUT on `job`.")
    async def run_job(self, info: Info, job: Annotated[str, strawberry.argument(
            description="The job's name, e.g. `expire-points` (README \"Jobs\" lists them).")]) -> JobRun:
        ctx = info.context
        run = await services.run_job(services.RunJob(job, ctx.container.job_names), ctx.deps())
        return JobRun.from_domain(run)
