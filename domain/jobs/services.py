"""Staff read the job runs and ask for a run now; runners record starts and ends."""

from __future__ import annotations

from dataclasses import dataclass

from domain.auth.viewer import Role
from domain.deps import Deps
from domain.errors import BadUserInput
from domain.jobs.model import JobRun


@dataclass(frozen=True)
class ListJobRuns:
    job: str | None
    first: int
    before_id: int | None = None


async def job_runs(cmd: ListJobRuns, deps: Deps) -> tuple[list[JobRun], bool]:
    """Newest first, keyset on id; (page, whether more follow)."""
    deps.viewer.require_staff()
    if not 1 <= cmd.first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 job runs.")
    async with deps.uow as uow:
        rows = await uow.job_runs.page(cmd.job, cmd.first + 1, cmd.before_id)
    return rows[:cmd.first], len(rows) > cmd.first


@dataclass(frozen=True)
class RunJob:
    job: str
    known_jobs: tuple[str, ...]  # the registry's names (api/jobs.py): the domain does not import it


async def run_job(cmd: RunJob, deps: Deps) -> JobRun:
    """Queue one run now. The runner takes it like a scheduled one (same lock: it never overlaps a
    scheduled run of the same job); jobs are idempotent, so an extra run changes nothing it should not."""
    staff_id = deps.viewer.require_staff()
    if cmd.job not in cmd.known_jobs:
        raise BadUserInput.for_field("job", f"Choose one of {', '.join(cmd.known_jobs)}.")
    now = deps.clock.now()
    async with deps.uow as uow:
        run = await uow.job_runs.queue(cmd.job, f"staff:{staff_id}", now)
        await uow.job_runs.ask_engine(cmd.job, run.id)
        await uow.audit.record(Role.STAFF, staff_id, "job.triggered", f"job:{cmd.job}", {"run": run.id}, now)
        await uow.commit()
    return run
