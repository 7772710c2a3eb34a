"""The set-based ledger writes: a debit that chooses, takes and records its lots in one statement,
and a credit that writes its entry, lots and account in one, whatever the number of lots.

PostgreSQL runs data-modifying CTEs on one snapshot, so each write is one round trip there; SQLite
(tests, the embedded default) gets the same choice (`chosen_lots`) in a fixed few statements."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from sqlalchemy import BigInteger, and_, bindparam, case, false, func, or_, select, text

from domain.points.model import Entry
from domain.points.ports import NewEntry
from domain.store.tables import points_lots


def entry_params(new: NewEntry, now: datetime) -> dict[str, object]:
    return dict(member=new.member_id, kind=new.kind.value, amount=new.amount, reason=new.reason[:200],
                source_type=new.source_type, source_ref=new.source_ref[:200], key=new.idempotency_key,
                actor_role=new.actor_role.value if new.actor_role else None, actor_id=new.actor_id,
                details=json.dumps(new.details or {}), now=now)


def written_entry(entry_id: int, new: NewEntry, now: datetime) -> Entry:
    """The entry a write just inserted, from what it inserted (no read back)."""
    return Entry(int(entry_id), new.member_id, new.kind, new.amount, new.reason[:200], new.source_type,
                 new.source_ref[:200], now, dict(new.details or {}))


def as_taken(new: NewEntry, taken: int, wanted: int) -> NewEntry:
    """The debit as written: the amount taken, and the shortfall in its details when short."""
    details = dict(new.details or {})
    if taken < wanted:
        details["shortfall"] = wanted - taken
    return replace(new, amount=-taken, details=details)


def chosen_lots(first: list[int]):
    """The lots a debit of :wanted consumes and what it takes from each: the named lots first (pending
    or not), then spendable lots oldest first, by a running sum over the member's open lots."""
    lots = points_lots.c
    named = lots.id.in_(first) if first else false()
    wanted = bindparam("wanted", type_=BigInteger)
    now = bindparam("now", type_=lots.available_at.type)
    free = lots.remaining - lots.held  # points held for a payment are not spendable (see domain/payments)
    before = (func.sum(free).over(order_by=(case((named, 0), else_=1), lots.earned_at, lots.id))
              - free).label("before")
    open_lots = (select(lots.id, free.label("remaining"), lots.expires_at, before)
                 .where(lots.member_id == bindparam("member_id", type_=lots.member_id.type), free > 0,
                        or_(named, and_(lots.available_at <= now, lots.expires_at > now))).subquery())
    c = open_lots.c
    take = case((c.remaining < wanted - c.before, c.remaining), else_=wanted - c.before)
    return select(c.id, c.expires_at, take.label("take")).where(c.before < wanted).order_by(c.before)


_ENTRY_COLUMNS = ("INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, "
                  "idempotency_key, actor_role, actor_id, details, created_at)")


def _entry_values(amount: str, details: str) -> str:
    return ("CAST(:member AS BIGINT), CAST(:kind AS VARCHAR), " + amount + ", CAST(:reason AS VARCHAR), "
            "CAST(:source_type AS VARCHAR), CAST(:source_ref AS VARCHAR), CAST(:key AS VARCHAR), "
            "CAST(:actor_role AS VARCHAR), CAST(:actor_id AS BIGINT), " + details + ", CAST(:now AS TIMESTAMPTZ)")


_SHORT_DETAILS = """CASE WHEN total.taken < CAST(:wanted AS BIGINT)
      THEN CAST(CAST(:details AS JSONB)
                || jsonb_build_object('shortfall', CAST(:wanted AS BIGINT) - total.taken) AS JSON)
      ELSE CAST(:details AS JSON) END"""

# Choose the lots by a running sum over their free points (remaining less what a payment holds),
# write the entry only if enough was found (or a shortfall is
# allowed), then take from the lots, record the moves and move the account, each conditional on the
# entry existing: nothing is written when the debit is refused. The caller holds the account lock, so
# no other transaction moves these lots meanwhile.
PG_DEBIT = text(f"""
WITH open_lots AS (
  SELECT id, remaining - held AS remaining, expires_at,
         SUM(remaining - held) OVER (ORDER BY (id = ANY(CAST(:first AS BIGINT[]))) DESC, earned_at, id)
           - (remaining - held) AS before
  FROM points_lots
  WHERE member_id = CAST(:member AS BIGINT) AND remaining - held > 0
    AND (id = ANY(CAST(:first AS BIGINT[]))
         OR (available_at <= CAST(:now AS TIMESTAMPTZ) AND expires_at > CAST(:now AS TIMESTAMPTZ)))
), chosen AS (
  SELECT id, expires_at, LEAST(remaining, CAST(:wanted AS BIGINT) - before) AS take
  FROM open_lots WHERE before < CAST(:wanted AS BIGINT)
), total AS (
  SELECT CAST(COALESCE(SUM(take), 0) AS BIGINT) AS taken FROM chosen
), entry AS (
  {_ENTRY_COLUMNS}
  SELECT {_entry_values("-total.taken", _SHORT_DETAILS)}
  FROM total
  WHERE total.taken > 0 AND (total.taken = CAST(:wanted AS BIGINT) OR CAST(:allow AS BOOLEAN))
  RETURNING id
), taken_lots AS (
  UPDATE points_lots AS l SET remaining = l.remaining - chosen.take
  FROM chosen, entry WHERE l.id = chosen.id
  RETURNING l.id, chosen.take, l.expires_at, entry.id AS entry_id
), moves AS (
  INSERT INTO points_lot_moves (entry_id, lot_id, amount) SELECT entry_id, id, -take FROM taken_lots
), account AS (
  UPDATE points_accounts AS a SET balance = a.balance - total.taken, version = a.version + 1,
         updated_at = CAST(:now AS TIMESTAMPTZ)
  FROM total, entry WHERE a.member_id = CAST(:member AS BIGINT)
  RETURNING a.balance, a.version
)
SELECT (SELECT taken FROM total) AS taken, (SELECT id FROM entry) AS entry_id,
       (SELECT balance FROM account) AS balance, (SELECT version FROM account) AS version,
       taken_lots.id AS lot_id, taken_lots.take, taken_lots.expires_at
FROM (SELECT 1) AS one LEFT JOIN taken_lots ON true
""")

# The entry, its lots (unnested from arrays) and the account.
PG_CREDIT = text(f"""
WITH entry AS (
  {_ENTRY_COLUMNS} VALUES ({_entry_values("CAST(:amount AS BIGINT)", "CAST(:details AS JSON)")})
  RETURNING id
), lots AS (
  INSERT INTO points_lots (member_id, entry_id, original, remaining, earned_at, available_at, expires_at)
  SELECT CAST(:member AS BIGINT), entry.id, x.amount, x.amount, CAST(:now AS TIMESTAMPTZ), x.available_at,
         x.expires_at
  FROM entry, unnest(CAST(:amounts AS BIGINT[]), CAST(:availables AS TIMESTAMPTZ[]),
                     CAST(:expiries AS TIMESTAMPTZ[])) AS x(amount, available_at, expires_at)
), account AS (
  UPDATE points_accounts SET balance = balance + CAST(:amount AS BIGINT), version = version + 1,
         updated_at = CAST(:now AS TIMESTAMPTZ)
  WHERE member_id = CAST(:member AS BIGINT)
  RETURNING balance, version
)
SELECT entry.id AS entry_id, account.balance, account.version FROM entry, account
""")
