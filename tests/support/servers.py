"""Start throwaway PostgreSQL and redis-server processes on loopback for the test session."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class MissingServer(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise MissingServer(f"{name} not found: install PostgreSQL (scripts/test.sh does) or set TEST_POSTGRES_URL")
    return found


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; the Debian package provides a postgres user for this.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a server URL without database name: postgresql+asyncpg://app@127.0.0.1:PORT."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="loyalty-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    subprocess.run(_as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "app", "-E", "UTF8"]),
                   check=True, capture_output=True)
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        _wait_for_port(port)
        yield f"postgresql+asyncpg://app@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def redis_server(port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    binary = shutil.which("redis-server")
    if not binary:
        raise MissingServer("redis-server not found: install it (scripts/test.sh does) or set TEST_REDIS_URL")
    port = port or free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def postgres_with_replica() -> Iterator[tuple[str, str, Callable[[], None]]]:
    """A primary and a streaming replica (pg_basebackup -R, hot standby) on loopback. Yields both
    server URLs (no database name) and a function that stops the replica (to test its loss)."""
    initdb, pg_ctl, basebackup = _pg_bin("initdb"), _pg_bin("pg_ctl"), _pg_bin("pg_basebackup")
    base = Path(tempfile.mkdtemp(prefix="loyalty-pgrep-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary, replica = base / "primary", base / "replica"
    primary_port, replica_port = free_port(), free_port()
    subprocess.run(_as_postgres([initdb, "-D", str(primary), "-A", "trust", "-U", "app", "-E", "UTF8"]),
                   check=True, capture_output=True)

    def start(data: Path, port: int, log: str) -> None:
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l", str(base / log), "-w", "start"]),
                       check=True, capture_output=True)
        _wait_for_port(port)

    def stop(data: Path) -> None:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)

    start(primary, primary_port, "primary.log")
    try:
        subprocess.run(_as_postgres([basebackup, "-h", "127.0.0.1", "-p", str(primary_port), "-U", "app",
                                     "-D", str(replica), "-R", "-X", "stream"]), check=True, capture_output=True)
        start(replica, replica_port, "replica.log")
        try:
            yield (f"postgresql+asyncpg://app@127.0.0.1:{primary_port}",
                   f"postgresql+asyncpg://app@127.0.0.1:{replica_port}", lambda: stop(replica))
        finally:
            stop(replica)
    finally:
        stop(primary)
        shutil.rmtree(base, ignore_errors=True)


class SentinelGroup:
    """A Redis primary, one replica and three sentinels (quorum 2) on loopback, for failover tests."""

    MASTER = "loyalty"

    def __init__(self, base: Path) -> None:
        self.base = base
        self.primary_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def _server(self, name: str, port: int, *extra: str) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise MissingServer("redis-server not found: install it (scripts/test.sh does)")
        self.procs[name] = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(port)

    def start(self) -> None:
        self._server("primary", self.primary_port)
        self._server("replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.primary_port))
        for i, port in enumerate(self.sentinel_ports):
            conf = self.base / f"sentinel-{i}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\n"
                            f"sentinel monitor {self.MASTER} 127.0.0.1 {self.primary_port} 2\n"
                            f"sentinel down-after-milliseconds {self.MASTER} 1000\n"
                            f"sentinel failover-timeout {self.MASTER} 5000\n"
                            f"sentinel parallel-syncs {self.MASTER} 1\n")
            binary = shutil.which("redis-server")
            assert binary is not None
            self.procs[f"sentinel-{i}"] = subprocess.Popen([binary, str(conf), "--sentinel"],
                                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait_for_port(port)

    @property
    def sentinels(self) -> tuple[str, ...]:
        return tuple(f"127.0.0.1:{p}" for p in self.sentinel_ports)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@contextmanager
def redis_sentinel_group() -> Iterator[SentinelGroup]:
    base = Path(tempfile.mkdtemp(prefix="loyalty-sentinel-"))
    group = SentinelGroup(base)
    try:
        group.start()
        yield group
    finally:
        group.stop()
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def pgbouncer(server_url: str, pool_size: int = 2) -> Iterator[str]:
    """PgBouncer in transaction mode in front of `server_url` (postgresql+asyncpg://user@host:port),
    with few server connections so that clients share them. Yields the same URL form for PgBouncer."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise MissingServer("pgbouncer not found: install it (scripts/test.sh does)")
    user, host_port = server_url.split("//", 1)[1].split("@", 1)
    pg_host, pg_port = host_port.split(":")
    base = Path(tempfile.mkdtemp(prefix="loyalty-pgbouncer-"))
    port = free_port()
    (base / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={pg_host} port={pg_port} user={user}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\n"
        f"default_pool_size = {pool_size}\nmax_client_conn = 500\n"
        f"logfile = {base / 'pgbouncer.log'}\npidfile = {base / 'pgbouncer.pid'}\n"
        "ignore_startup_parameters = extra_float_digits\n")
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(base, "postgres", "postgres")
        for item in base.iterdir():
            shutil.chown(item, "postgres", "postgres")
    proc = subprocess.Popen(_as_postgres([binary, str(base / "pgbouncer.ini")]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port)
        yield f"postgresql+asyncpg://{user}@127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)
