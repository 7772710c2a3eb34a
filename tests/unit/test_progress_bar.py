"""The CLI progress bar shows the rate and how long is left."""

from __future__ import annotations

import io
import re

from api.progress import ProgressBar


def test_the_bar_shows_rate_and_time_left() -> None:
    out = io.StringIO()
    bar = ProgressBar(1_000, "importing", stream=out)
    bar.advance(250)
    line = out.getvalue()
    assert "250/1000" in line and "/s" in line
    assert re.search(r"ETA \d+m\d\ds\)", line), line
    bar.advance(750)
    assert "ETA" not in out.getvalue().rstrip().splitlines()[-1].rsplit("\r", 1)[-1], "a finished bar shows no ETA"
