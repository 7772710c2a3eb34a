"""The whole topology from scripts/cluster.sh (PostgreSQL primary + replica, Redis with sentinels, two
app workers behind one port, two job workers) carries a member journey while one app worker and one
job worker are killed: requests keep being answered, the balance stays the ledger's, and a job
staff ask for still runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


def _env(directory: Path) -> dict[str, str]:
    values = dict(line.split("=", 1) for line in (directory / "env").read_text().splitlines() if "=" in line)
    return {**os.environ, **values}


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Path, str]]:
    # Not under pytest's temporary folder: that one is private to root, and PostgreSQL runs as postgres.
    directory = Path(f"/tmp/loyalty-cluster-{uuid.uuid4().hex[:8]}")
    env = {**os.environ, "PY": sys.executable, "APP_WORKERS": "2"}
    started = subprocess.run(["bash", str(ROOT / "scripts/cluster.sh"), "start", str(directory)], env=env,
                             capture_output=True, text=True, timeout=300)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        port = (directory / "ports").read_text().strip().split("=")[1]
        yield directory, f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(ROOT / "scripts/cluster.sh"), "stop", str(directory)], env=env,
                       capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


def _post(url: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    """Retries connection errors only: a request on a killed worker's socket is lost, the next one is
    served by the other worker (or the restarted one)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + 30
    while True:
        try:
            response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}},
                                  headers=headers, timeout=10)
            body = response.json()
            assert "errors" not in body, body["errors"]
            return body["data"]
        except (httpx.TransportError, ValueError):
            assert time.monotonic() < deadline, "the app did not answer again"
            time.sleep(0.2)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def test_a_journey_survives_losing_an_app_worker_and_a_job_worker(cluster) -> None:
    directory, url = cluster
    env = _env(directory)
    code = env["DEV_LOGIN_CODE"]
    _post(url, 'mutation { requestLoginCode(phone: "13800138000") { expiresAt } }')
    member = _post(url, f'mutation {{ signIn(phone: "13800138000", code: "{code}") {{ session {{ accessToken }} }} }}')
    token = member["signIn"]["session"]["accessToken"]
    subprocess.run([sys.executable, "-m", "api.cli", "create-staff", "ops", "--password", "cluster-password-1"],
                   env=env, check=True, capture_output=True, timeout=120)
    staff = _post(url, 'mutation { signInStaff(username: "ops", password: "cluster-password-1") { accessToken } }')
    staff_token = staff["signInStaff"]["accessToken"]
    me = _post(url, "{ me { id } }", token=token)["me"]["id"]
    adjust = """mutation($m: ID!, $k: String!) { adjustPoints(input: {memberId: $m, amount: 10, reason: "cluster",
      idempotencyKey: $k}) { entry { id } } }"""

    app_pid = int((directory / "app.pid").read_text())
    workers = _children(app_pid)
    assert len(workers) >= 2, f"expected two app worker processes under {app_pid}: {workers}"
    for i in range(20):
        if i == 5:
            os.kill(workers[0], signal.SIGKILL)  # one app worker dies mid-journey
        if i == 10:
            os.kill(int((directory / "worker-1.pid").read_text()), signal.SIGKILL)  # and one job worker
        _post(url, adjust, {"m": me, "k": f"cluster-{i}"}, staff_token)
        points = _post(url, "{ me { points { total } } }", token=token)["me"]["points"]["total"]
        assert points == 10 * (i + 1), "every acknowledged credit shows, on whichever worker answers"

    run = _post(url, 'mutation { runJob(job: "award-badges") { id status } }', token=staff_token)["runJob"]
    deadline = time.monotonic() + 60
    while True:
        runs = _post(url, '{ jobRuns(job: "award-badges", first: 5) { nodes { id status } } }',
                     token=staff_token)["jobRuns"]["nodes"]
        if any(r["id"] == run["id"] and r["status"] == "DONE" for r in runs):
            break
        assert time.monotonic() < deadline, f"the remaining job worker did not run the job: {runs}"
        time.sleep(0.5)
