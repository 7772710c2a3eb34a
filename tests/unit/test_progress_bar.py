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
    assert re.search(r"ETA \d+:\d\d\)", line), line
    bar.advance(750)
    assert out.getvalue().rstrip().endswith("ETA 0:00)")
