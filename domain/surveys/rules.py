"""Survey rules with no I/O: what a valid survey and answer look like, who may answer, and how
answers add up to an NPS or an average."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import BadUserInput, FieldError
from domain.surveys.model import SCORE_RANGE, RecentPurchase, Survey, SurveyKind, SurveyTrigger

MAX_QUESTION = 300
MAX_COMMENT = 1000
MAX_STORES = 50
MAX_WITHIN_DAYS = 365
MAX_POINTS = 100_000
_STORE_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")  # the same spelling purchases accept


def validate_survey(s: Survey) -> Survey:
    errors: list[FieldError] = []
    if not 0 < len(s.question.strip()) <= MAX_QUESTION:
        errors.append(FieldError("question", f"A question is 1 to {MAX_QUESTION} characters."))
    if s.starts_at >= s.ends_at:
        errors.append(FieldError("endsAt", "A survey ends after it starts."))
    if not 0 <= s.points <= MAX_POINTS:
        errors.append(FieldError("points", f"Points for answering are 0 to {MAX_POINTS:,}."))
    if s.trigger is SurveyTrigger.AFTER_PURCHASE:
        if s.purchase_within_days is None or not 0 < s.purchase_within_days <= MAX_WITHIN_DAYS:
            errors.append(FieldError("purchaseWithinDays",
                                     f"An after-purchase survey names 1 to {MAX_WITHIN_DAYS} days."))
        if len(s.store_ids) > MAX_STORES or not all(_STORE_ID.fullmatch(x) for x in s.store_ids):
            errors.append(FieldError("storeIds", f"Up to {MAX_STORES} store ids of 1-64 letters, digits or . _ : -"))
        if s.event_id is not None:
            errors.append(FieldError("eventId", "Only an after-event survey names an event."))
    else:
        if s.event_id is None:
            errors.append(FieldError("eventId", "An after-event survey names its event."))
        if s.purchase_within_days is not None or s.store_ids:
            errors.append(FieldError("purchaseWithinDays", "Only an after-purchase survey names days or stores."))
    if errors:
        raise BadUserInput("The survey is invalid.", errors)
    return s


def clean_answer(survey: Survey, score: int, comment: str | None) -> tuple[int, str | None]:
    """The score and the comment as stored (blank comments become none); bad input raises."""
    errors: list[FieldError] = []
    scores = survey.scores
    if score not in scores:
        errors.append(FieldError("score", f"Give a score from {scores.start} to {scores.stop - 1}."))
    text = (comment or "").strip() or None
    if text is not None and not survey.allow_comment:
        errors.append(FieldError("comment", "This survey takes a score only, no comment."))
    elif text is not None and len(text) > MAX_COMMENT:
        errors.append(FieldError("comment", f"A comment is at most {MAX_COMMENT} characters."))
    if errors:
        raise BadUserInput("The answer is invalid.", errors)
    return score, text


def qualifying_purchase(survey: Survey, purchases: list[RecentPurchase], now: datetime) -> RecentPurchase | None:
    """The latest purchase that makes the member eligible for an after-purchase survey."""
    if survey.trigger is not SurveyTrigger.AFTER_PURCHASE or survey.purchase_within_days is None:
        return None
    since = now - timedelta(days=survey.purchase_within_days)
    found = [p for p in purchases if since <= p.purchased_at <= now
             and (not survey.store_ids or p.store_id in survey.store_ids)]
    return max(found, key=lambda p: p.purchased_at, default=None)


def round_half_away(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, halves away from zero, in integer arithmetic."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return -magnitude if numerator < 0 else magnitude


@dataclass(frozen=True)
class Tally:
    responses: int
    distribution: list[tuple[int, int]]  # (score, answers) for every score on the scale, zeros included
    average_hundredths: int | None  # 423 = 4.23; none without answers
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps: int | None = None  # NPS only: %promoters - %detractors, -100..100, rounded half away from zero


def tally(kind: SurveyKind, counts: dict[int, int]) -> Tally:
    """Counts per score (already grouped by the database) to the figures staff read."""
    distribution = [(score, counts.get(score, 0)) for score in SCORE_RANGE[kind]]
    responses = sum(n for _s, n in distribution)
    if responses == 0:
        return Tally(0, distribution, None)
    average = round_half_away(100 * sum(s * n for s, n in distribution), responses)
    if kind is not SurveyKind.NPS:
        return Tally(responses, distribution, average)
    promoters = sum(n for s, n in distribution if s >= 9)
    passives = sum(n for s, n in distribution if 7 <= s <= 8)
    detractors = responses - promoters - passives
    return Tally(responses, distribution, average, promoters, passives, detractors,
                 round_half_away(100 * (promoters - detractors), responses))
