"""`import-purchases FILE`: reads CSV (header row) or JSON Lines, writes a rejects CSV, shows
progress, and hands the rows to domain/imports/purchase_import.py in batches.

CSV columns: orderId, storeId, phone, purchasedAt, amountCents, channel (optional), items (optional,
a JSON list of {category, amountCents, quantity, sku}). JSONL: one object a line with the same keys
(items as a list). snake_case names are accepted too."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from api.import_files import progress_bar, rejects_file


def file_key(path: Path) -> str:
    """The checkpoint key: the file's content, so a renamed file resumes and an edited one starts over."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return "purchases:" + digest.hexdigest()[:64]


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, object] | str]]:
    """(line number in the file, the row, or why it could not be read)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        if _is_csv(path):
            reader = csv.DictReader(f)
            for row in reader:
                yield reader.line_num, dict(row)
            return
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                yield number, "not a JSON object"
                continue
            yield number, value if isinstance(value, dict) else "not a JSON object"


async def run_import(container, path: Path, rejects_path: Path, batch_size: int) -> dict[str, int]:
    from domain.imports.purchase_import import import_purchases, resume_line

    key = file_key(path)
    resuming = await resume_line(container.uow, key) > 0
    bar = progress_bar(path, header=_is_csv(path))
    with rejects_file(rejects_path, ["line", "orderId", "reason"], append=resuming) as write:
        summary = await import_purchases(read_rows(path), container.uow, container.clock, key,
                                         lambda line, order_id, reason: write([line, order_id, reason]),
                                         batch_size=batch_size, progress=bar.advance)
    return summary.as_dict()
