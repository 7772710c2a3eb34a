"""Coupon code batches: time to generate N codes (set-based: COPY into staging, one INSERT …
SELECT) and to export them to CSV, on PostgreSQL, through the same functions the CLI runs.

    .venv/bin/python -m bench.coupon_codes [--count 1000000]

Checks before printing: the batch holds N distinct codes in the database, the CSV has N distinct
rows in the printed form. Figures go to stdout, progress bars to stderr. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import re
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from api.coupon_code_files import _export
from api.progress import ProgressBar
from bench.environment import bench_environment, describe
from domain.auth.viewer import Role, Viewer
from domain.offers.code_batches import CreateCodeBatch, create_code_batch
from domain.offers.model import CouponKind, CouponTemplate
from domain.offers.services import save_template

say = functools.partial(print, flush=True)
STAFF = Viewer(Role.STAFF, 1)
PRINTED = re.compile(r"^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}$")


async def run(count: int) -> None:
    async with bench_environment(use_redis=False) as bench:
        container = bench.container
        template = await save_template(container.uow(), STAFF, CouponTemplate(
            0, "满300减50 印刷券", CouponKind.SPEND_AND_SAVE, value_cents=5_000, min_spend_cents=30_000,
            valid_days=90, per_member_limit=None), container.now())
        say(f"{await describe(container)}; {count:,} codes")
        bar = ProgressBar(count, "generating")
        started = time.monotonic()
        batch = await create_code_batch(CreateCodeBatch(template.id, count, "bench"),
                                        container.deps(STAFF), progress=bar.advance)
        generated = time.monotonic() - started
        async with container.engine.connect() as conn:
            stored, distinct = (await conn.execute(text(
                "SELECT count(*), count(DISTINCT code) FROM coupon_codes WHERE batch_id = :b"),
                {"b": batch.id})).one()
        assert stored == distinct == count, (stored, distinct)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "codes.csv"
            started = time.monotonic()
            written = await _export(container, batch.id, count, out)
            exported = time.monotonic() - started
            size = out.stat().st_size
            with out.open(newline="") as f:
                codes = {row["code"] for row in csv.DictReader(f) if PRINTED.match(row["code"])}
        assert written == len(codes) == count, (written, len(codes))
        say(f"  generate (COPY + INSERT … SELECT, one transaction)  {generated:7.1f} s  "
            f"({count / generated:,.0f} codes/s)")
        say(f"  export to CSV (keyset pages of 10,000, streamed)     {exported:7.1f} s  "
            f"({count / exported:,.0f} codes/s, {size / 1e6:.1f} MB)")
        say(f"  total                                                {generated + exported:7.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coupon_codes")
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(run(args.count))


if __name__ == "__main__":
    main()
