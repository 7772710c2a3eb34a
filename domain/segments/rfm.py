"""RFM figures a member's purchases add up to in one window (pure; the job feeds it batches).

Definitions (the tests' reference implementation follows the same ones):
- A purchase is in a window of W days when now - W days < purchased_at <= now.
- recency_days: whole days since the member's last purchase; frequency: purchases in the window
  (refunded ones included: the visit happened); monetary: net spend, amount - refunded cents.
- trend_bp: spend growth in basis points, this window against the W days before it:
  (current - previous) * 10000 // previous, rounded down and at most TREND_CAP_BP (+1,000,000%: a
  client's 32-bit Int holds it); None when the previous window had no net spend (growth from
  nothing has no percentage).
- top categories: up to three item categories by item spend in the window (items carry no refund
  split, so gross), ties by name.
- Scores are quintiles computed in SQL: NTILE(5) OVER (ORDER BY value, member_id) among the members
  with a purchase in the window, value being last_purchase_at for R, frequency for F, monetary for M.
  Equal values are split by member id, so every quintile is as full as NTILE makes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

TOP_CATEGORIES = 3
TREND_CAP_BP = 100_000_000


def trend_bp(current_cents: int, previous_cents: int) -> int | None:
    if previous_cents <= 0:
        return None
    return min((current_cents - previous_cents) * 10_000 // previous_cents, TREND_CAP_BP)


def recency_days(last_purchase_at: datetime, now: datetime) -> int:
    return (now - last_purchase_at).days


def top_categories(items: Iterable[dict[str, object]]) -> list[str]:
    spend: dict[str, int] = defaultdict(int)
    for item in items:
        spend[str(item["category"])] += int(item["amount_cents"])  # type: ignore[call-overload]
    ranked = sorted(spend.items(), key=lambda kv: (-kv[1], kv[0]))
    return [category for category, _ in ranked[:TOP_CATEGORIES]]
