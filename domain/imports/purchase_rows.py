"""One row of a purchase import file, checked and turned into what the store loads (pure).

A row names the member by phone, the order by (storeId, orderId) (its key: importing it again is a
no-op), when it happened (an ISO time with an offset), what was paid (cents) and optionally its
channel (default IMPORT) and item lines (default: one line of category "未分类" for the whole amount)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import BadUserInput
from domain.members.phone import normalize_phone
from domain.points.model import SalesChannel
from domain.points.purchases import MAX_ITEMS, MAX_ORDER_CENTS, MAX_QUANTITY

_KEY = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
UNCATEGORISED = "未分类"


class RowRejected(Exception):
    """The row cannot be imported; the message is the reason written to the rejects file."""


@dataclass(frozen=True)
class ImportedPurchase:
    line: int
    order_id: str
    store_id: str
    phone: str  # E.164
    channel: SalesChannel
    purchased_at: datetime
    amount_cents: int
    items: list[dict[str, object]]  # category, amount_cents, quantity, sku: as recordPurchase stores them

    @property
    def units(self) -> int:
        return sum(int(i["quantity"]) for i in self.items)  # type: ignore[call-overload]


def _get(row: dict[str, object], *names: str) -> object:
    for name in names:
        value = row.get(name)
        if value not in (None, ""):
            return value
    return None


def _int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise RowRejected(f"{what} must be a whole number")
    try:
        return int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise RowRejected(f"{what} must be a whole number") from None


def parse_row(line: int, row: dict[str, object], now: datetime) -> ImportedPurchase:
    """Raises RowRejected with the reason."""
    order_id, store_id = _get(row, "orderId", "order_id"), _get(row, "storeId", "store_id")
    if not isinstance(order_id, str) or not _KEY.fullmatch(order_id):
        raise RowRejected("orderId: use 1-64 letters, digits or . _ : -")
    if not isinstance(store_id, str) or not _KEY.fullmatch(store_id):
        raise RowRejected("storeId: use 1-64 letters, digits or . _ : -")
    try:
        phone = normalize_phone(str(_get(row, "phone", "memberPhone", "member_phone") or ""))
    except BadUserInput:
        raise RowRejected("phone: not a valid mobile number") from None
    raw_channel = _get(row, "channel")
    try:
        channel = SalesChannel(str(raw_channel).strip().upper()) if raw_channel else SalesChannel.IMPORT
    except ValueError:
        raise RowRejected(f"channel: one of {', '.join(c.value for c in SalesChannel)}") from None
    raw_time = _get(row, "purchasedAt", "purchased_at")
    try:
        purchased_at = datetime.fromisoformat(str(raw_time))
    except ValueError:
        raise RowRejected("purchasedAt: an ISO time with an offset, e.g. 2025-06-01T10:00:00+08:00") from None
    if purchased_at.tzinfo is None:
        raise RowRejected("purchasedAt: give a time zone offset (+08:00 or Z)")
    if purchased_at > now:
        raise RowRejected("purchasedAt: in the future")
    amount = _int(_get(row, "amountCents", "amount_cents"), "amountCents")
    if not 0 < amount <= MAX_ORDER_CENTS:
        raise RowRejected("amountCents: must be positive (in cents)")
    items = _items(_get(row, "items"), amount)
    return ImportedPurchase(line, order_id, store_id, phone, channel, purchased_at, amount, items)


def _items(raw: object, amount: int) -> list[dict[str, object]]:
    if raw is None:
        return [{"category": UNCATEGORISED, "amount_cents": amount, "sku": None, "quantity": 1}]
    if isinstance(raw, str):  # a CSV cell holds the lines as JSON
        try:
            raw = json.loads(raw)
        except ValueError:
            raise RowRejected("items: a JSON list of {category, amountCents, quantity, sku}") from None
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_ITEMS or not all(isinstance(i, dict) for i in raw):
        raise RowRejected(f"items: a list of 1 to {MAX_ITEMS} lines")
    items = []
    for item in raw:
        category = _get(item, "category")
        if not isinstance(category, str) or not 0 < len(category.strip()) <= 40:
            raise RowRejected("items: each line has a category of 1-40 characters")
        cents = _int(_get(item, "amountCents", "amount_cents") or 0, "items amountCents")
        quantity = _int(_get(item, "quantity") or 1, "items quantity")
        if cents < 0 or not 0 < quantity <= MAX_QUANTITY:
            raise RowRejected(f"items: amounts not negative, quantities 1 to {MAX_QUANTITY}")
        sku = _get(item, "sku")
        items.append({"category": category, "amount_cents": cents, "sku": str(sku) if sku else None,
                      "quantity": quantity})
    if sum(int(i["amount_cents"]) for i in items) != amount:  # type: ignore[call-overload]
        raise RowRejected("items: the lines must add up to amountCents")
    return items
