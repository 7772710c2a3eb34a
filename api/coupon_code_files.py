"""The CLI side of coupon code batches: make one, and write a batch's codes to CSV (for the
printer or the partner), both with a progress bar."""

from __future__ import annotations

import csv
from pathlib import Path

from api.progress import ProgressBar
from api.settings import Settings

# The CLI acts as the system operator (staff id 0), as create-partner does; the audit log says so.
CLI_STAFF_ID = 0


async def generate_coupon_codes(settings: Settings, template_id: int, count: int, label: str,
                                out: Path | None) -> int:
    from api.container import build_container
    from domain.auth.viewer import Role, Viewer
    from domain.offers.code_batches import CreateCodeBatch, create_code_batch

    container = build_container(settings)
    try:
        bar = ProgressBar(count, "generating codes")
        batch = await create_code_batch(CreateCodeBatch(template_id, count, label),
                                        container.deps(Viewer(Role.STAFF, CLI_STAFF_ID)), progress=bar.advance)
        print(f"batch {batch.id}: {batch.quantity} codes for template {batch.template_id}, "
              f"valid until {batch.valid_until.isoformat()}")
        if out is not None:
            await _export(container, batch.id, batch.quantity, out)
        return batch.id
    finally:
        await container.close()


async def export_coupon_codes(settings: Settings, batch_id: int, out: Path) -> int:
    from api.container import build_container
    from domain.offers.code_batches import code_batch

    container = build_container(settings)
    try:
        batch = await code_batch(container.uow(), batch_id)
        return await _export(container, batch.id, batch.quantity, out)
    finally:
        await container.close()


async def _export(container, batch_id: int, quantity: int, out: Path) -> int:
    """Streams page by page: memory stays flat however large the batch."""
    from domain.offers.code_batches import batch_codes
    from domain.offers.codes import printed

    bar = ProgressBar(quantity, f"exporting to {out}")
    written = 0
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "status", "batch_id"])
        async for page in batch_codes(container.uow, batch_id):
            writer.writerows((printed(c.code), c.status.value, batch_id) for c in page)
            written += len(page)
            bar.advance(len(page))
    print(f"wrote {written} codes to {out}")
    return written
