"""Points-as-payment arithmetic (no I/O): whole steps, the least of the limits, refund rounding."""

from __future__ import annotations

import itertools

import pytest

from domain.payments.refunds import points_to_return
from domain.payments.rules import quote, step_cents
from domain.points.rules import LineItem
from domain.program.settings import ProgramSettings


@pytest.mark.parametrize(("rate", "step"), [(100, 1), (1, 100), (3, 100), (10, 10), (250, 2), (50, 2)])
def test_points_pay_whole_cents_worth_whole_points(rate: int, step: int) -> None:
    assert step_cents(rate) == step
    q = quote(99_999, [LineItem("服饰", 99_999)], ProgramSettings(payment_points_per_yuan=rate), 10_000_000)
    assert q.covers_cents % step == 0 and q.max_points * 100 == q.covers_cents * rate


def test_the_least_limit_wins() -> None:
    settings = ProgramSettings(payment_points_per_yuan=100, payment_max_share_bp=2000, payment_min_balance_left=50)
    items = [LineItem("服饰", 5_000), LineItem("烟酒", 5_000)]
    assert quote(10_000, items, settings, 10_000).max_points == 2_000  # the 20% share cap
    assert quote(10_000, items, settings, 1_050).max_points == 1_000  # the balance, less 50 kept
    excluded = ProgramSettings(payment_max_share_bp=10_000, payment_excluded_categories=("烟酒",))
    assert quote(10_000, items, excluded, 10_000).max_points == 5_000  # the eligible lines


def test_refunds_in_any_split_return_at_most_what_was_paid_and_all_of_it_in_the_end() -> None:
    for paid, order, cuts in itertools.product([1, 7, 999, 1000], [3, 2000, 10_001], [1, 2, 5]):
        parts = [order // cuts] * (cuts - 1) + [order - order // cuts * (cuts - 1)]
        refunded = returned = 0
        for part in parts:
            back = points_to_return(paid, order, refunded, part, returned)
            assert back >= 0
            refunded, returned = refunded + part, returned + back
            assert returned <= paid
        assert returned == paid
