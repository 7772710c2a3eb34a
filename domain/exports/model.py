"""What the finance/BI exports hold (see services.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.errors import BadUserInput


class ExportKind(StrEnum):
    MEMBERS = "members"
    LEDGER = "ledger"
    PURCHASES = "purchases"


COLUMNS: dict[ExportKind, list[str]] = {
    ExportKind.MEMBERS: ["member_id", "member_code", "joined_at", "tier", "balance_at_end"],
    ExportKind.LEDGER: ["entry_id", "member_id", "kind", "amount", "reason", "source_type", "source_ref",
                        "created_at"],
    ExportKind.PURCHASES: ["purchase_id", "member_id", "source", "order_id", "store_id", "amount_cents",
                           "refunded_cents", "points_awarded", "points_reversed", "items", "purchased_at"],
}


@dataclass(frozen=True)
class Period:
    """Half-open: [start, end)."""

    start: datetime
    end: datetime

    def check(self) -> Period:
        if self.end <= self.start:
            raise BadUserInput.for_field("to", "The period must end after it starts.")
        return self


class ExportRepository(Protocol):
    async def page(self, kind: ExportKind, period: Period, after_id: int, limit: int) -> list[tuple]:
        """Rows in COLUMNS[kind] order, ids above `after_id`, ascending, at most `limit`."""
        ...
