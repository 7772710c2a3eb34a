"""The tier progress sentence ("¥8,000 more, or 3 more purchases"), in zh-CN and en."""

from __future__ import annotations

from domain.messages import EN, TIER_PROGRESS_TEXT
from domain.tiers.model import PathProgress, QualifyMode, QualifyPath


def yuan(cents: int) -> str:
    """¥8,000 for whole yuan, else ¥8,000.50."""
    whole, fen = divmod(cents, 100)
    return f"¥{whole:,}" + (f".{fen:02d}" if fen else "")


def progress_sentence(paths: list[PathProgress], mode: QualifyMode, tier_name: str, language: str) -> str | None:
    """What is left to the next tier; None at the top of the ladder. Under ALL only the paths
    still short are named; under ANY every path is an alternative."""
    text = TIER_PROGRESS_TEXT[EN if language == EN else "zh-CN"]
    shown = [p for p in paths if p.remaining > 0] if mode is QualifyMode.ALL else paths
    if not shown:
        return None
    parts = [text[p.path.value].format(amount=yuan(p.remaining) if p.path is QualifyPath.SPEND else f"{p.remaining:,}")
             for p in shown]
    joined = text["all" if mode is QualifyMode.ALL else "any"].join(parts)
    return text["sentence"].format(parts=joined, tier=tier_name)
