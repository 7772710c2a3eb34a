"""Storage the bulk member import needs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # bulk_import reaches domain.ports through the sign-in code: no runtime cycle
    from domain.members.bulk_import import BatchOutcome, ImportRow


class MemberImportRepository(Protocol):
    async def apply_batch(self, batch: list[ImportRow], now: datetime) -> tuple[BatchOutcome, list[int]]:
        """Apply checked rows set-based in the caller's transaction; rows whose key an earlier run
        imported are skipped. Returns the outcome and the ids of members that existed before and
        received points (their cached balances must be written through)."""
        ...
