"""Command line: python -m api.cli {serve,worker,migrate,seed-demo,create-staff,compute-segments,export-schema,...}."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from datetime import date
from pathlib import Path

from api.settings import Settings
from domain.auth.viewer import StaffRole

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def _container(settings: Settings):
    from api.container import build_container

    return build_container(settings)


async def _seed(settings: Settings, extra: int) -> None:
    from api.demo import seed_demo

    container = _container(settings)
    try:
        await seed_demo(container, extra)
    finally:
        await container.close()


async def _create_staff(settings: Settings, username: str, password: str, name: str, role: str = "HQ_ADMIN",
                        stores: list[str] | None = None) -> None:
    from domain.auth.staff import create_staff
    from domain.auth.viewer import StaffRole

    container = _container(settings)
    try:
        account = await create_staff(container.uow(), username, password, name, container.now(),
                                     StaffRole(role), stores or [])
        print(f"created staff account {account.username} (id {account.id}, {account.role.value})")
    finally:
        await container.close()


async def _expire(settings: Settings) -> dict[str, int]:
    from api.progress import ProgressBar
    from domain.points.expiry import expire_points

    container = _container(settings)
    try:
        bar = ProgressBar(0, "expiring members")
        return await expire_points(container.uow, container.now(), progress=lambda n: bar.tick(n))
    finally:
        await container.close()


async def _release_holds(settings: Settings) -> dict[str, int]:
    from domain.payments.expiry import release_expired_holds

    container = _container(settings)
    try:
        return await release_expired_holds(container.uow, container.now())
    finally:
        await container.close()


async def _evaluate(settings: Settings) -> dict[str, int]:
    from domain.tiers.services import evaluate_tiers

    container = _container(settings)
    try:
        return await evaluate_tiers(container.uow, container.now(), zone=container.clock.zone)
    finally:
        await container.close()


async def _birthdays(settings: Settings) -> dict[str, int]:
    from domain.offers.birthday import birthday_rewards

    container = _container(settings)
    try:
        return await birthday_rewards(container.uow, container.now(), container.today(), zone=container.clock.zone)
    finally:
        await container.close()


async def _segments(settings: Settings) -> dict[str, int]:
    from api.progress import ProgressBar
    from domain.segments.job import compute_segments

    container = _container(settings)
    bars: list[ProgressBar] = []

    def advance(done: int, total: int) -> None:
        if not bars:
            bars.append(ProgressBar(total, "computing segments"))
        bars[0].advance(done)

    try:
        return await compute_segments(container.uow, container.now(), progress=advance)
    finally:
        await container.close()


async def _rollup_kpis(settings: Settings, from_day: str | None, to_day: str | None,
                       everything: bool) -> dict[str, int]:
    from datetime import date

    from api.progress import ProgressBar
    from domain.kpis.rollups import first_rollup_day, rollup_kpis

    container = _container(settings)
    try:
        clock = container.clock
        end = date.fromisoformat(to_day) if to_day else clock.today()
        start = (await first_rollup_day(container.uow, clock) if everything
                 else date.fromisoformat(from_day) if from_day else None)
        bar = ProgressBar(((end - start).days + 1) if start else 2, "rolling up days")
        return await rollup_kpis(container.uow, clock, start, end, progress=bar.advance)
    finally:
        await container.close()


async def _import_purchases(settings: Settings, path: str, rejects: str | None, batch: int) -> dict[str, int]:
    from api.purchase_import_cli import run_import

    container = _container(settings)
    try:
        file = Path(path)
        return await run_import(container, file, Path(rejects or f"{file}.rejects.csv"), batch)
    finally:
        await container.close()


async def _create_partner(settings: Settings, name: str, units: int, points: int, earn_cap: int,
                          burn_cap: int) -> None:
    from domain.auth.viewer import Role, Viewer
    from domain.partners.model import Partner
    from domain.partners.services import create_partner

    container = _container(settings)
    try:
        creds = await create_partner(container.uow(), Viewer(Role.STAFF, 0),
                                     Partner(0, name, "", [], units, points, earn_cap, burn_cap), container.now())
        print(f"partner {creds.partner.id}: client_id={creds.partner.client_id} client_secret={creds.client_secret}")
        print("the secret is shown once; store it now", file=sys.stderr)
    finally:
        await container.close()


async def _webhooks(settings: Settings, loop: bool) -> dict[str, int]:
    from api.webhooks import HttpWebhookSender
    from domain.webhooks.services import deliver_due

    container = _container(settings)
    sender = HttpWebhookSender()
    total = {"delivered": 0, "retrying": 0, "failed": 0}
    try:
        while True:
            counts = await deliver_due(container.uow, sender, container.now())
            total = {k: total[k] + counts[k] for k in total}
            if not loop:
                return total
            if not any(counts.values()):
                await asyncio.sleep(2)
    finally:
        await sender.close()
        await container.close()


async def _worker(settings: Settings) -> None:
    from api.container import build_container
    from api.worker import NoLoginCodes, run_worker

    # Jobs never send login codes: production needs no SMS sender in the worker.
    container = build_container(settings, NoLoginCodes())
    try:
        await run_worker(container)
    finally:
        await container.close()


async def _send_messages(settings: Settings, loop: bool) -> dict[str, int]:
    """The worker's send-messages job (api/jobs.py), once or (`--loop`) every few seconds."""
    from api.jobs import find_job

    job = find_job("send-messages")
    container = _container(settings)
    total: dict[str, int] = {}
    try:
        while True:
            counts = await job.run(container)
            total = {k: total.get(k, 0) + v for k, v in counts.items()}
            if not loop:
                return total
            if not any(counts.values()):
                await asyncio.sleep(2)
    finally:
        await container.close()


async def _run_job(settings: Settings, name: str) -> dict[str, int]:
    """One run of a registered job (api/jobs.py), as the worker would run it."""
    from api.jobs import find_job

    container = _container(settings)
    try:
        return await find_job(name).run(container)
    finally:
        await container.close()


def export_schema_sdl() -> str:
    from api.graphql_schema import build_schema

    return str(build_schema()).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, optionally seed demo data, and serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="load demo data first")
    sub.add_parser("migrate", help="apply database migrations")
    seed = sub.add_parser("seed-demo", help="load demo members and an operator")
    seed.add_argument("--extra-members", type=int, default=0, help="also create this many plain members")
    staff = sub.add_parser("create-staff", help="create an operator account")
    staff.add_argument("username")
    staff.add_argument("--name", default="")
    staff.add_argument("--password", help="read from the terminal when omitted")
    staff.add_argument("--role", default="HQ_ADMIN", choices=[r.value for r in StaffRole],
                       help="what the account may do (default HQ_ADMIN)")
    staff.add_argument("--store", action="append", default=[], help="an assigned store (repeat; clerks need one)")
    sub.add_parser("expire-points", help="write EXPIRE entries for lots past their date (idempotent)")
    sub.add_parser("release-expired-holds", help="free points of payment holds past their time (idempotent)")
    sub.add_parser("evaluate-tiers", help="review members whose tier hold ran out (idempotent)")
    sub.add_parser("birthday-rewards", help="grant this year's birthday rewards due today (idempotent)")
    sub.add_parser("award-badges", help="award the badges whose rules members now meet (idempotent)")
    sub.add_parser("compute-segments", help="recompute RFM scores and lifecycle stages (idempotent)")
    rollup = sub.add_parser("rollup-kpis", help="recompute the daily KPI rollups (default: yesterday and today; "
                                                "idempotent)")
    rollup.add_argument("--from", dest="from_day", help="first local day YYYY-MM-DD")
    rollup.add_argument("--to", dest="to_day", help="last local day YYYY-MM-DD (default today)")
    rollup.add_argument("--all", action="store_true", help="from the day the first member joined (backfill)")
    purchases = sub.add_parser("import-purchases", help="import purchase history from CSV or JSONL (idempotent, "
                                                        "resumable; no points)")
    purchases.add_argument("file", help="a .csv (with a header row) or a .jsonl file")
    purchases.add_argument("--rejects", help="where to write the rejected rows (default FILE.rejects.csv)")
    purchases.add_argument("--batch", type=int, default=5_000, help="rows per transaction (default 5000)")
    partner = sub.add_parser("create-partner", help="create a partner account and print its credentials")
    partner.add_argument("name")
    partner.add_argument("--rate", default="100:40", help="PARTNER_UNITS:PROGRAM_POINTS (default 100:40)")
    partner.add_argument("--daily-earn-cap", type=int, default=100_000)
    partner.add_argument("--daily-burn-cap", type=int, default=100_000)
    hooks = sub.add_parser("deliver-webhooks", help="send due webhook deliveries from the outbox")
    hooks.add_argument("--loop", action="store_true", help="keep delivering every few seconds")
    sub.add_parser("worker", help="run the background jobs of api/jobs.py on procrastinate (PostgreSQL)")
    codes = sub.add_parser("generate-coupon-codes", help="make a batch of single-use coupon codes (optionally "
                                                         "exported to CSV)")
    codes.add_argument("--template", type=int, required=True, help="coupon template id")
    codes.add_argument("--count", type=int, required=True, help="how many codes (up to 10,000,000)")
    codes.add_argument("--label", default="", help="what the batch is for (print run, partner)")
    codes.add_argument("--out", type=Path, help="also write the codes to this CSV file")
    export_codes = sub.add_parser("export-coupon-codes", help="write a batch's codes to CSV (streamed)")
    export_codes.add_argument("batch", type=int, help="batch id")
    export_codes.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    members_in = sub.add_parser("import-members", help="import members from CSV or JSONL (idempotent per row "
                                                      "key, resumable, rejects file)")
    members_in.add_argument("file", type=Path)
    members_in.add_argument("--rejects", type=Path, help="where bad rows go (default: FILE.rejects.csv)")
    members_in.add_argument("--batch", type=int, default=5_000, help="rows per transaction")
    members_in.add_argument("--format", choices=["csv", "jsonl"], help="default: from the file's suffix")
    data_out = sub.add_parser("export-data", help="members (with balance at the period end), ledger or purchases "
                                                  "of a period to CSV, streamed")
    data_out.add_argument("kind", choices=["members", "ledger", "purchases"])
    data_out.add_argument("--from", dest="first_day", type=date.fromisoformat, required=True,
                          help="first day (YYYY-MM-DD, program time zone)")
    data_out.add_argument("--to", dest="last_day", type=date.fromisoformat, required=True,
                          help="last day, included")
    data_out.add_argument("--out", type=Path, required=True)
    messages = sub.add_parser("send-messages", help="send due member messages through their channels (idempotent)")
    messages.add_argument("--loop", action="store_true", help="keep sending every few seconds")
    sub.add_parser("message-triggers", help="queue the messages scheduled triggers owe now: points and coupons "
                                           "expiring, tier changes, coupons issued, events starting (idempotent)")
    sub.add_parser("run-automations", help="let members into active journeys and due campaigns, leave on the goal, "
                                          "run due steps (idempotent)")
    doc = sub.add_parser("settings-doc", help="write the README's settings table from api/settings.py")
    doc.add_argument("--check", action="store_true", help="fail if README.md's table is out of date")
    export = sub.add_parser("export-schema", help="write the SDL to schema.graphql")
    export.add_argument("--check", action="store_true", help="fail if schema.graphql is out of date")
    args = parser.parse_args(argv)

    from api.logs import configure_logging

    configure_logging()
    settings = Settings.from_env()
    if args.command == "settings-doc":
        from api.settings_doc import README, rendered

        current = README.read_text(encoding="utf-8")
        wanted = rendered(current)
        if args.check:
            if current != wanted:
                print("README.md's settings table is out of date: run python -m api.cli settings-doc",
                      file=sys.stderr)
                return 1
            return 0
        README.write_text(wanted, encoding="utf-8")
        return 0
    if args.command == "export-schema":
        sdl = export_schema_sdl()
        if args.check:
            current = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
            if current != sdl:
                print("schema.graphql is out of date: run python -m api.cli export-schema", file=sys.stderr)
                return 1
            return 0
        SCHEMA_FILE.write_text(sdl)
        print(f"wrote {SCHEMA_FILE}")
        return 0

    from api.migrate import upgrade

    if args.command in ("migrate", "serve", "seed-demo"):
        upgrade(settings.database_url)
    if args.command == "seed-demo" or (args.command == "serve" and args.demo):
        asyncio.run(_seed(settings, getattr(args, "extra_members", 0)))
    if args.command == "create-staff":
        password = args.password or getpass.getpass("password: ")
        asyncio.run(_create_staff(settings, args.username, password, args.name, args.role, args.store))
    if args.command == "expire-points":
        print(asyncio.run(_expire(settings)))
    if args.command == "release-expired-holds":
        print(asyncio.run(_release_holds(settings)))
    if args.command == "evaluate-tiers":
        print(asyncio.run(_evaluate(settings)))
    if args.command == "birthday-rewards":
        print(asyncio.run(_birthdays(settings)))
    if args.command == "award-badges":
        print(asyncio.run(_run_job(settings, "award-badges")))
        return 0
    if args.command == "compute-segments":
        print(asyncio.run(_segments(settings)))
    if args.command == "rollup-kpis":
        print(asyncio.run(_rollup_kpis(settings, args.from_day, args.to_day, args.all)))
    if args.command == "import-purchases":
        print(asyncio.run(_import_purchases(settings, args.file, args.rejects, args.batch)))
    if args.command == "create-partner":
        units, _, points = args.rate.partition(":")
        asyncio.run(_create_partner(settings, args.name, int(units), int(points), args.daily_earn_cap,
                                    args.daily_burn_cap))
    if args.command == "generate-coupon-codes":
        from api.coupon_code_files import generate_coupon_codes
        from domain.errors import DomainError

        try:
            asyncio.run(generate_coupon_codes(settings, args.template, args.count, args.label, args.out))
        except DomainError as error:
            print(f"generate-coupon-codes: {error.message}", file=sys.stderr)
            return 2
    if args.command == "export-coupon-codes":
        from api.coupon_code_files import export_coupon_codes

        asyncio.run(export_coupon_codes(settings, args.batch, args.out))
    if args.command == "import-members":
        from api.member_files import import_members_file

        rejects = args.rejects or args.file.with_name(args.file.name + ".rejects.csv")
        asyncio.run(import_members_file(settings, args.file, rejects, args.batch, args.format))
    if args.command == "export-data":
        from api.data_export import export_data
        from domain.errors import DomainError

        try:
            asyncio.run(export_data(settings, args.kind, args.first_day, args.last_day, args.out))
        except DomainError as error:  # bad input is a message and exit code 2, not a traceback
            print(f"export-data: {error.message}", file=sys.stderr)
            return 2
    if args.command == "deliver-webhooks":
        print(asyncio.run(_webhooks(settings, args.loop)))
    if args.command == "worker":
        asyncio.run(_worker(settings))
    if args.command == "send-messages":
        print(asyncio.run(_send_messages(settings, args.loop)))
    if args.command == "message-triggers":
        print(asyncio.run(_run_job(settings, "message-triggers")))
    if args.command == "run-automations":
        print(asyncio.run(_run_job(settings, "run-automations")))
    if args.command == "serve":
        import uvicorn

        if args.workers > 1 and not settings.redis_url:
            print("--workers > 1 needs REDIS_URL: each worker would have its own cache and pub/sub",
                  file=sys.stderr)
            return 2
        if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            import tempfile

            # Each worker writes its samples here; /metrics on any of them sums them all.
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="loyalty-metrics-")
        if args.workers > 1 and settings.database_url.startswith("sqlite"):
            # Each worker process would run every job: in-process jobs are for one process only.
            print("--workers > 1 on SQLite: jobs are not run in-process; use PostgreSQL and `worker`",
                  file=sys.stderr)
            os.environ["RUN_JOBS_IN_PROCESS"] = "0"

        if args.demo:
            print("demo operator: demo-operator / demo-operator-password; "
                  "member sign-in codes are printed in this log", file=sys.stderr)
        uvicorn.run("api.app:create_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, **uvicorn_options(settings))
    return 0


def uvicorn_options(settings: Settings) -> dict[str, object]:
    """How `serve` runs uvicorn, besides address and workers (bench/live_server.py runs the same)."""
    return dict(log_config=None, access_log=False,
                # SIGTERM: in-flight requests get this long to finish (api/shutdown.py closes sockets first).
                timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
                # Messages are a few hundred bytes: compression costs ~40 KiB per socket for nothing.
                ws_per_message_deflate=False,
                # uvicorn's sans-I/O protocol without what an idle socket need not keep (api/ws_protocol.py).
                ws="api.ws_protocol:LeanWebSocketProtocol")


if __name__ == "__main__":
    sys.exit(main())
