"""Survey use cases: staff create, publish, close and read results; members list the surveys open
to them and answer each once (points paid once, through the activity earning path)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.auth.viewer import Role, Viewer
from domain.benefits.errors import NotEligible
from domain.cursors import decode_int, encode
from domain.deps import Deps
from domain.errors import BadUserInput, Conflict, Forbidden, IdempotencyConflict, NotFound
from domain.idempotency import check_key
from domain.points.activities import ActivityAward, award_activity
from domain.points.rules import Activity
from domain.ports import UnitOfWork
from domain.surveys.errors import AlreadyAnswered
from domain.surveys.model import Answer, Survey, SurveyState, SurveyTrigger
from domain.surveys.rules import Tally, clean_answer, qualifying_purchase, tally, validate_survey
from domain.tiers.model import Tier
from domain.tiers.rules import ladder

MAX_PAGE = 100
MAX_OPEN = 100



# --- staff ---------------------------------------------------------------------------------------

async def save_survey(uow: UnitOfWork, viewer: Viewer, survey: Survey, now: datetime) -> Survey:
    """Create (id 0) or change a draft. Published surveys keep their question and trigger, so every
    answer in the results was given to the same survey."""
    staff_id = viewer.require_staff()
    survey = validate_survey(replace(survey, question=survey.question.strip()))
    async with uow:
        if survey.id:
            existing = await uow.surveys.get(survey.id, for_update=True)
            if existing is None:
                raise NotFound("No such survey.")
            if existing.state is not SurveyState.DRAFT:
                raise Conflict("Only a draft survey can be changed.")
        if survey.event_id is not None and await uow.meetups.get(survey.event_id) is None:
            raise BadUserInput.for_field("eventId", "No such event.")
        saved = await uow.surveys.save(survey, now)
        await uow.audit.record(Role.STAFF, staff_id, "survey.saved", f"survey:{saved.id}",
                               {"kind": saved.kind.value, "trigger": saved.trigger.value, "points": saved.points}, now)
        await uow.commit()
    return saved


async def _move(uow: UnitOfWork, viewer: Viewer, survey_id: int, to: SurveyState, now: datetime) -> Survey:
    staff_id = viewer.require_staff()
    async with uow:
        survey = await uow.surveys.get(survey_id, for_update=True)
        if survey is None:
            raise NotFound("No such survey.")
        if survey.state is to:
            return survey  # publishing or closing twice is a no-op
        if survey.state is SurveyState.CLOSED:
            raise Conflict("A closed survey stays closed.")
        if to is SurveyState.PUBLISHED and survey.ends_at <= now:
            raise Conflict("This survey's window has already ended; change its dates first.")
        moved = await uow.surveys.set_state(survey_id, to, now)
        await uow.audit.record(Role.STAFF, staff_id, f"survey.{to.value.lower()}", f"survey:{survey_id}", {}, now)
        await uow.commit()
    return moved


async def publish_survey(uow: UnitOfWork, viewer: Viewer, survey_id: int, now: datetime) -> Survey:
    return await _move(uow, viewer, survey_id, SurveyState.PUBLISHED, now)


async def close_survey(uow: UnitOfWork, viewer: Viewer, survey_id: int, now: datetime) -> Survey:
    return await _move(uow, viewer, survey_id, SurveyState.CLOSED, now)


async def get_survey(uow: UnitOfWork, viewer: Viewer, survey_id: int) -> Survey:
    viewer.require_staff()
    async with uow:
        survey = await uow.surveys.get(survey_id)
    if survey is None:
        raise NotFound("No such survey.")
    return survey


@dataclass(frozen=True)
class SurveyPage:
    items: list[tuple[str, Survey]]  # (cursor, survey)
    has_next: bool


async def list_surveys(uow: UnitOfWork, viewer: Viewer, state: SurveyState | None, first: int,
                       after: str | None) -> SurveyPage:
    viewer.require_staff()
    if not 0 < first <= MAX_PAGE:
        raise BadUserInput.for_field("first", f"Ask for 1 to {MAX_PAGE} surveys.")
    before_id = decode_int(after)[1] if after else None
    async with uow:
        rows = await uow.surveys.page(state, before_id, first + 1)
    return SurveyPage([(encode(s.id, s.id), s) for s in rows[:first]], len(rows) > first)


@dataclass(frozen=True)
class ResultGroup:
    key: str | None  # a tier code or a store id; none for answers without one
    label: str | None
    tally: Tally


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    overall: Tally
    by_tier: list[ResultGroup]
    by_store: list[ResultGroup]


async def survey_results(uow: UnitOfWork, viewer: Viewer, survey_id: int) -> SurveyResults:
    """The database groups the answers into (tier, store, score) cells in one scan; only those few
    rows are added up here."""
    viewer.require_staff()
    async with uow:
        survey = await uow.surveys.get(survey_id)
        if survey is None:
            raise NotFound("No such survey.")
        cells = await uow.surveys.score_cells(survey_id)
        tiers = {t.id: t for t in await uow.tiers.tiers()}
    overall: dict[int, int] = defaultdict(int)
    per_tier: dict[int | None, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    per_store: dict[str | None, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for cell in cells:  # at most tiers x stores x scores rows, however many answers
        overall[cell.score] += cell.count
        per_tier[cell.tier_id][cell.score] += cell.count
        per_store[cell.store_id][cell.score] += cell.count

    def tier_order(tier_id: int | None) -> tuple[int, int]:
        tier = tiers.get(tier_id) if tier_id is not None else None
        return (tier.rank, tier.id) if tier else (1 << 30, 0)

    by_tier = [ResultGroup(tiers[t].code if t in tiers else None, tiers[t].name if t in tiers else None,
                           tally(survey.kind, per_tier[t])) for t in sorted(per_tier, key=tier_order)]
    by_store = [ResultGroup(s, s, tally(survey.kind, per_store[s]))
                for s in sorted(per_store, key=lambda s: (s is None, s or ""))]
    return SurveyResults(survey, tally(survey.kind, overall), by_tier, by_store)


# --- members -------------------------------------------------------------------------------------

async def _eligible(uow: UnitOfWork, member_id: int, surveys: list[Survey], now: datetime
                    ) -> dict[int, str | None]:
    """Survey id -> the store of the purchase that qualifies the member (none for events), for the
    surveys this member may answer. Two queries however many surveys are asked about."""
    by_purchase = [s for s in surveys if s.trigger is SurveyTrigger.AFTER_PURCHASE]
    by_event = [s for s in surveys if s.trigger is SurveyTrigger.AFTER_EVENT and s.event_id is not None]
    eligible: dict[int, str | None] = {}
    if by_purchase:
        days = max(s.purchase_within_days or 0 for s in by_purchase)
        purchases = await uow.surveys.latest_purchase_per_store(member_id, now - timedelta(days=days), now)
        for s in by_purchase:
            if (found := qualifying_purchase(s, purchases, now)) is not None:
                eligible[s.id] = found.store_id
    if by_event:
        attended = await uow.surveys.attended_among(member_id, [s.event_id for s in by_event if s.event_id])
        eligible.update({s.id: None for s in by_event if s.event_id in attended})
    return eligible


async def open_surveys(uow: UnitOfWork, viewer: Viewer, now: datetime) -> list[Survey]:
    """Published, in their window, not yet answered, and the member qualifies."""
    member_id = viewer.require_member()
    async with uow:
        candidates = await uow.surveys.open_at(now, MAX_OPEN)
        answered = await uow.surveys.answered_among(member_id, [s.id for s in candidates])
        candidates = [s for s in candidates if s.id not in answered]
        eligible = await _eligible(uow, member_id, candidates, now)
    return [s for s in candidates if s.id in eligible]


def _base_tier_id(tiers: list[Tier]) -> int | None:
    """A member with no tier row sits on the base tier, as everywhere else in the program."""
    ordered = ladder(tiers)
    return ordered[0].id if ordered else None


def _not_eligible(survey: Survey) -> str:
    if survey.trigger is SurveyTrigger.AFTER_EVENT:
        return "This survey is for members who attended its event."
    stores = survey.store_ids
    where = (f" at store {stores[0]}" if len(stores) == 1 else f" at one of stores {', '.join(stores)}"
             if stores else "")
    return f"This survey is for members who made a purchase{where} in the last {survey.purchase_within_days} days."


def _replay(existing: Answer, key: str, score: int, comment: str | None) -> Answer:
    if existing.idempotency_key != key:
        raise AlreadyAnswered("You have already answered this survey.")
    if existing.score != score or existing.comment != ((comment or "").strip() or None):
        raise IdempotencyConflict("This idempotency key was already used for a different answer.")
    return existing


@dataclass(frozen=True)
class AnswerSurvey:
    survey_id: int
    score: int
    idempotency_key: str
    comment: str | None = None


async def answer_survey(cmd: AnswerSurvey, deps: Deps) -> tuple[Answer, Survey]:
    """One answer per member and survey. A retry with the same key returns the first answer,
    even after the survey closed; points are paid once (ledger key per member and survey)."""
    uow, now = deps.uow, deps.clock.now()
    survey_id, score, comment = cmd.survey_id, cmd.score, cmd.comment
    member_id = deps.viewer.require_member()
    key = check_key(cmd.idempotency_key)
    async with uow:
        survey = await uow.surveys.get(survey_id)
        if survey is None or survey.state is SurveyState.DRAFT:
            raise NotFound("No such survey.")
        # Serialises one member's concurrent answers; the unique (survey, member) key backs it up.
        await uow.points.lock_account(member_id, now)
        if (existing := await uow.surveys.answer(survey_id, member_id)) is not None:
            return _replay(existing, key, score, comment), survey
        score, text = clean_answer(survey, score, comment)
        if survey.state is SurveyState.CLOSED or now >= survey.ends_at:
            raise Forbidden("This survey is closed.")
        if now < survey.starts_at:
            raise Forbidden(f"This survey opens at {survey.starts_at.isoformat()}.")
        eligible = await _eligible(uow, member_id, [survey], now)
        if survey.id not in eligible:
            raise NotEligible(_not_eligible(survey))
        tier = await uow.tiers.current_tier(member_id)
        tier_id = tier.id if tier is not None else _base_tier_id(await uow.tiers.tiers())
        answer = await uow.surveys.add_answer(survey_id, member_id, score, text, tier_id, eligible[survey.id], key,
                                              now)
        if answer is None:
            existing = await uow.surveys.answer(survey_id, member_id)
            assert existing is not None
            return _replay(existing, key, score, comment), survey
        points = 0
        if survey.points:
            entry = await award_activity(uow, deps.clock, ActivityAward(
                member_id, Activity.SURVEY, str(survey.id), f"survey/{survey.id}/{member_id}", points=survey.points))
            points = entry.amount if entry else 0
            if points:
                await uow.surveys.set_points(answer.id, points)
        await uow.commit()
    return replace(answer, points_awarded=points), survey
