"""Command line: python -m api.cli {serve,migrate,seed-demo,create-staff,compute-segments,export-schema,...}."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
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


async def _evaluate(settings: Settings) -> dict[str, int]:
    from domain.tiers.services import evaluate_tiers

    container = _container(settings)
    try:
        return await evaluate_tiers(container.uow, container.now())
    finally:
        await container.close()


async def _birthdays(settings: Settings) -> dict[str, int]:
    from domain.offers.birthday import birthday_rewards

    container = _container(settings)
    try:
        return await birthday_rewards(container.uow, container.now(), container.today())
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
    sub.add_parser("evaluate-tiers", help="review members whose tier hold ran out (idempotent)")
    sub.add_parser("birthday-rewards", help="grant this year's birthday rewards due today (idempotent)")
    sub.add_parser("compute-segments", help="recompute RFM scores and lifecycle stages (idempotent)")
    partner = sub.add_parser("create-partner", help="create a partner account and print its credentials")
    partner.add_argument("name")
    partner.add_argument("--rate", default="100:40", help="PARTNER_UNITS:PROGRAM_POINTS (default 100:40)")
    partner.add_argument("--daily-earn-cap", type=int, default=100_000)
    partner.add_argument("--daily-burn-cap", type=int, default=100_000)
    hooks = sub.add_parser("deliver-webhooks", help="send due webhook deliveries from the outbox")
    hooks.add_argument("--loop", action="store_true", help="keep delivering every few seconds")
    export = sub.add_parser("export-schema", help="write the SDL to schema.graphql")
    export.add_argument("--check", action="store_true", help="fail if schema.graphql is out of date")
    args = parser.parse_args(argv)

    from api.logs import configure_logging

    configure_logging()
    settings = Settings.from_env()
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
    if args.command == "evaluate-tiers":
        print(asyncio.run(_evaluate(settings)))
    if args.command == "birthday-rewards":
        print(asyncio.run(_birthdays(settings)))
    if args.command == "compute-segments":
        print(asyncio.run(_segments(settings)))
    if args.command == "create-partner":
        units, _, points = args.rate.partition(":")
        asyncio.run(_create_partner(settings, args.name, int(units), int(points), args.daily_earn_cap,
                                    args.daily_burn_cap))
    if args.command == "deliver-webhooks":
        print(asyncio.run(_webhooks(settings, args.loop)))
    if args.command == "serve":
        import uvicorn

        if args.workers > 1 and not settings.redis_url:
            print("--workers > 1 needs REDIS_URL: each worker would have its own cache and pub/sub",
                  file=sys.stderr)
            return 2

        if args.demo:
            print("demo operator: demo-operator / demo-operator-password; "
                  "member sign-in codes are printed in this log", file=sys.stderr)
        uvicorn.run("api.app:create_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_config=None, access_log=False,
                    # Messages are a few hundred bytes: compression costs ~40 KiB per socket for nothing.
                    ws_per_message_deflate=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
