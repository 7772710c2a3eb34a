"""What the purchase import needs from storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # both import domain.ports (through the purchase rules): no cycle at run time
    from domain.imports.purchase_import import LoadOutcome
    from domain.imports.purchase_rows import ImportedPurchase


class PurchaseImportRepository(Protocol):
    async def resume_line(self, key: str) -> int:
        """The last line of the file `key` a committed batch covered (0: none)."""
        ...

    async def save_checkpoint(self, key: str, line: int, now: datetime) -> None: ...

    async def load(self, batch: Sequence[ImportedPurchase], now: datetime) -> LoadOutcome:
        """Insert the batch's new orders in the open transaction; say which rows were not inserted."""
        ...
