"""What both file imports (`import-members`, `import-purchases`) do around the shared batching loop
(domain/imports/staging.py): count the rows for the progress bar (rate and ETA), and keep the
rejects file (a CSV a person can open next to the source)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from api.progress import ProgressBar


def count_rows(path: Path, header: bool) -> int:
    """Non-blank lines, less the CSV header: the progress bar's total (one pass, no parsing)."""
    with path.open("rb") as f:
        lines = sum(1 for line in f if line.strip())
    return max(lines - 1, 0) if header else lines


def progress_bar(path: Path, header: bool) -> ProgressBar:
    return ProgressBar(count_rows(path, header), f"importing {path.name}")


@contextmanager
def rejects_file(path: Path, columns: Sequence[str], append: bool = False) -> Iterator[Callable[[list], None]]:
    """A writer of reject rows. `append` when resuming: the rejects of the batches that already
    landed are in the file (the loop reports a batch's rejects only after it committed)."""
    with path.open("a" if append else "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        if not append:
            writer.writerow(columns)
        yield writer.writerow
