"""The CLI side of bulk member import: read CSV or JSONL row by row (never the whole file in
memory), write the rejects file, draw the progress bar."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from api.import_files import progress_bar, rejects_file
from api.settings import Settings

REJECT_COLUMNS = ["row", "key", "reason", "data"]


def read_rows(path: Path, jsonl: bool) -> Iterator[tuple[int, dict]]:
    """(row number, fields): the row number counts data rows from 1, as a spreadsheet shows them
    after the header. A JSONL line that is not an object becomes a row with a `_error`."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        if jsonl:
            row_no = 0
            for line in f:
                if not line.strip():
                    continue
                row_no += 1
                try:
                    value = json.loads(line)
                except ValueError as error:
                    yield row_no, {"_error": f"not JSON: {error.msg}", "_raw": line.strip()[:500]}
                    continue
                yield row_no, value if isinstance(value, dict) else {"_error": "not a JSON object"}
        else:
            for row_no, row in enumerate(csv.DictReader(f), start=1):
                yield row_no, {k.strip(): v for k, v in row.items() if k is not None}


async def import_members_file(settings: Settings, path: Path, rejects_path: Path, batch_size: int,
                              fmt: str | None) -> dict[str, int]:
    from api.container import build_container
    from domain.members.bulk_import import import_members

    jsonl = (fmt or path.suffix.lstrip(".").lower()) in ("jsonl", "ndjson", "json")
    container = build_container(settings)
    bar = progress_bar(path, header=not jsonl)
    try:
        with rejects_file(rejects_path, REJECT_COLUMNS) as write:

            def on_reject(reject, raw) -> None:
                write([reject.row_no, reject.key, reject.reason,
                       json.dumps(raw, ensure_ascii=False, default=str)[:1000]])

            totals = await import_members(container.uow, container.clock, read_rows(path, jsonl),
                                          label=path.name, batch_size=batch_size, on_reject=on_reject,
                                          progress=bar.advance)
    finally:
        await container.close()
    result = {"read": totals.read, "imported": totals.imported, "skipped": totals.skipped,
              "rejected": totals.rejected}
    print(f"{result}; rejects in {rejects_path}")
    return result
