"""Message templates and quiet hours, without I/O."""

from __future__ import annotations

import string
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.errors import BadUserInput
from domain.messages import LANGUAGES
from domain.messaging.model import QuietHours
from domain.messaging.templates import TEMPLATES, preview, render

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_template_has_both_languages_and_declares_what_it_uses(kind: str) -> None:
    found = TEMPLATES[kind]
    for language in LANGUAGES:
        for text in (found.title[language], found.body[language]):
            assert text.strip()
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            assert used <= set(found.variables), (kind, language, used)


def test_render_fills_variables_and_ignores_undeclared_ones() -> None:
    title, body = render("POINTS_EXPIRING", "en", {"points": 12, "expiresOn": "2026-03-02", "phone": "138"})
    assert (title, body) == ("Points expiring soon", "12 of your points expire on 2026-03-02. Redeem them before then.")
    assert render("POINTS_EXPIRING", "fr", {})[0] == "积分即将过期"  # unknown language: the default one


def test_preview_refuses_unknown_kinds_and_languages() -> None:
    with pytest.raises(BadUserInput):
        preview("NOPE", "en", {})
    with pytest.raises(BadUserInput):
        preview("BIRTHDAY", "de", {})
    assert preview("BIRTHDAY", "zh-CN", {})[1].startswith("{name}")


@pytest.mark.parametrize(("local", "quiet"), [(time(20, 59), False), (time(21), True), (time(23, 59), True),
                                               (time(0), True), (time(8, 59), True), (time(9), False)])
def test_quiet_hours_wrap_midnight_in_the_program_zone(local: time, quiet: bool) -> None:
    hours = QuietHours(time(21), time(9))
    moment = datetime.combine(datetime(2026, 3, 1).date(), local, SHANGHAI).astimezone(UTC)
    assert hours.contains(moment, SHANGHAI) is quiet
    if quiet:
        end = hours.ends_after(moment, SHANGHAI).astimezone(SHANGHAI)
        assert end.time() == time(9) and end > moment
