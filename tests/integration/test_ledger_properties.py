"""Any sequence of earn, spend, gift, refund, adjust and expire keeps the books straight."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.sms import DevCodeSink
from domain.auth.viewer import Role, Viewer
from domain.clock import Clock
from domain.deps import Deps
from domain.errors import DomainError
from domain.members.lookup import MemberRef
from domain.points.balance import compute_balance
from domain.points.expiry import expire_points
from domain.points.lots import totals
from domain.points.purchases import PurchaseCommand, RefundCommand, record_purchase, record_refund
from domain.points.rules import LineItem
from domain.points.transfers import AdjustPoints, GiftPoints, LookupBudget, adjust_points, gift_points
from tests.conftest import app_settings
from tests.support.books import assert_books_balance
from tests.support.program import configure_program

STAFF = Viewer(Role.STAFF, 1)
START = datetime(2026, 1, 1, 12, tzinfo=UTC)

operation = st.one_of(
    st.tuples(st.just("buy"), st.integers(0, 2), st.integers(1, 500_000)),
    st.tuples(st.just("refund"), st.integers(0, 30), st.integers(1, 500_000)),
    st.tuples(st.just("gift"), st.integers(0, 2), st.integers(0, 2), st.integers(1, 3_000)),
    st.tuples(st.just("adjust"), st.integers(0, 2), st.integers(-2_000, 2_000)),
    st.tuples(st.just("wait"), st.integers(1, 200)),
    st.just(("expire",)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=25))
async def test_books_balance_after_any_sequence(ops: list[tuple], sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / f"prop-{abs(hash(tuple(ops)))}.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app(app_settings(f"sqlite+aiosqlite:///{path}"), code_sender=DevCodeSink())
    container = app.state.container
    try:
        await configure_program(container)
        members = []
        async with container.uow() as uow:
            for i in range(3):
                member, _ = await uow.members.get_or_create(f"+86138000000{i:02d}", f"CODE{i:04d}", START)
                members.append(member.id)
            await uow.commit()
        now = START
        clock = Clock(UTC, lambda: now)  # reads `now` as the steps move it
        orders: list[tuple[str, int]] = []
        for step, op in enumerate(ops):
            try:
                if op[0] == "buy":
                    cmd = PurchaseCommand(MemberRef(member_id=members[op[1]]), f"O{step}", "S1", op[2],
                                          [LineItem("x", op[2])])
                    await record_purchase(cmd, Deps(container.uow(), container.cache, clock, STAFF))
                    orders.append((f"O{step}", op[2]))
                elif op[0] == "refund" and orders:
                    order_id, amount = orders[op[1] % len(orders)]
                    await record_refund(RefundCommand("S1", order_id, f"R{step}", min(op[2], amount)),
                                        Deps(container.uow(), container.cache, clock, STAFF))
                elif op[0] == "gift":
                    sender = Viewer(Role.MEMBER, members[op[1]])
                    await gift_points(GiftPoints(MemberRef(member_id=members[op[2]]), op[3], f"g{step}"),
                                      Deps(container.uow(), container.cache, clock, sender),
                                      LookupBudget(container.limiter, 10_000))
                elif op[0] == "adjust":
                    await adjust_points(AdjustPoints(members[op[1]], op[2] or 1, "test", f"a{step}"),
                                        Deps(container.uow(), container.cache, clock, STAFF))
                elif op[0] == "wait":
                    now += timedelta(days=op[1])
                elif op[0] == "expire":
                    await expire_points(container.uow, now)
            except DomainError:
                pass  # refusals are part of the sequence; they must leave the books as they were
            await assert_books_balance(container.engine)
            for member_id in members:
                # The SQL aggregate behind the balance agrees with the rule applied lot by lot.
                async with container.uow() as uow:
                    balance = await compute_balance(uow, member_id, now, 30)
                    expected = totals(await uow.points.open_lots(member_id), now, 30)
                assert (balance.available, balance.pending, balance.expiring_soon, balance.valid_until) == expected
    finally:
        await container.close()
