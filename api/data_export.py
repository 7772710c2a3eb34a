"""The CLI side of the finance/BI exports: CSV written page by page, with a running count."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

from api.progress import ProgressBar
from api.settings import Settings


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


async def export_data(settings: Settings, kind: str, first_day: date, last_day: date, out: Path) -> dict[str, int]:
    """Days are the program's days (its time zone), both included."""
    from api.container import build_container
    from domain.exports.model import COLUMNS, ExportKind, Period
    from domain.exports.services import export_pages

    what = ExportKind(kind)
    container = build_container(settings)
    period = Period(container.clock.day_bounds(first_day)[0], container.clock.day_bounds(last_day)[1])
    bar = ProgressBar(0, f"exporting {kind}")
    rows = liability = 0
    try:
        with out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS[what])
            async for page in export_pages(container.uow, what, period):
                writer.writerows([_cell(v) for v in row] for row in page)
                rows += len(page)
                if what is ExportKind.MEMBERS:
                    liability += sum(int(row[-1]) for row in page)
                bar.tick(len(page))
    finally:
        await container.close()
    result = {"rows": rows}
    if what is ExportKind.MEMBERS:
        result["points_liability"] = liability  # outstanding points at the period's end
    print(f"\n{result}; written to {out}")
    return result
