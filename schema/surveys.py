"""NPS and satisfaction surveys: staff build, publish, close and read results; members answer once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.surveys import services
from domain.surveys.model import Answer as DomainAnswer
from domain.surveys.model import Survey as DomainSurvey
from domain.surveys.model import SurveyKind as DomainKind
from domain.surveys.model import SurveyState as DomainState
from domain.surveys.model import SurveyTrigger as DomainTrigger
from domain.surveys.rules import Tally
from schema.connections import PageInfo
from schema.enums import register_enum
from schema.info import Info
from schema.refs import parse_id

# Registered in place (register_enum describes the domain enum without changing it), so type checkers see a
# plain enum.
register_enum(DomainKind, "SurveyKind", "NPS scores 0-10, SATISFACTION 1-5.", {
    "NPS": "Net Promoter Score: \"how likely are you to recommend us\", scored 0 to 10.",
    "SATISFACTION": "Satisfaction, scored 1 to 5.",
})
SurveyKind = DomainKind
register_enum(DomainTrigger, "SurveyTrigger", "Which members may answer a survey.", {
    "AFTER_PURCHASE": "Members with a purchase within `purchaseWithinDays` days before answering (at one of "
                      "`storeIds`, when given).",
    "AFTER_EVENT": "Members who attended (were checked in at) the survey's event.",
})
SurveyTrigger = DomainTrigger
register_enum(DomainState, "SurveyState", "Where a survey is in its life.", {
    "DRAFT": "Being prepared by staff; members cannot see it, and only a draft can be changed.",
    "PUBLISHED": "Open to eligible members between `startsAt` and `endsAt`.",
    "CLOSED": "No longer takes answers (for good); results stay readable.",
})
SurveyState = DomainState


@strawberry.type(description="An NPS or satisfaction survey: one question, a score and optionally a comment.")
class Survey:
    id: strawberry.ID = strawberry.field(description="The survey id (pass it as `surveyId` to answer).")
    kind: SurveyKind = strawberry.field(description="NPS (0-10) or satisfaction (1-5).")
    question: str = strawberry.field(description="The question to show (at most 300 characters).")
    allow_comment: bool = strawberry.field(description="Whether an answer may carry a comment besides the score.")
    min_score: int = strawberry.field(description="Lowest score allowed (0 for NPS, 1 for satisfaction).")
    max_score: int = strawberry.field(description="Highest score allowed (10 for NPS, 5 for satisfaction).")
    trigger: SurveyTrigger = strawberry.field(description="Which members may answer.")
    purchase_within_days: int | None = strawberry.field(
        description="AFTER_PURCHASE: a purchase within this many days before answering qualifies.")
    store_ids: list[str] = strawberry.field(description="AFTER_PURCHASE: only purchases at these stores (empty: any).")
    event_id: strawberry.ID | None = strawberry.field(description="AFTER_EVENT: attending this event qualifies.")
    points: int = strawberry.field(description="Points for answering, paid once per member.")
    state: SurveyState = strawberry.field(description="Draft, published or closed.")
    starts_at: datetime = strawberry.field(description="When answers open (UTC).")
    ends_at: datetime = strawberry.field(description="When answers stop (UTC, exclusive).")

    @classmethod
    def from_domain(cls, s: DomainSurvey) -> Survey:
        return cls(id=strawberry.ID(str(s.id)), kind=s.kind, question=s.question, allow_comment=s.allow_comment,
                   min_score=s.scores.start, max_score=s.scores.stop - 1, trigger=s.trigger,
                   purchase_within_days=s.purchase_within_days, store_ids=list(s.store_ids),
                   event_id=strawberry.ID(str(s.event_id)) if s.event_id is not None else None, points=s.points,
                   state=s.state, starts_at=s.starts_at, ends_at=s.ends_at)


@strawberry.type(description="One survey in a page of surveys.")
class SurveyEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this survey; pass it as `after` to read on.")
    node: Survey = strawberry.field(description="The survey.")


@strawberry.type(description="A page of surveys, newest first.")
class SurveyConnection:
    edges: list[SurveyEdge] = strawberry.field(description="The surveys of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether older surveys follow and the cursor to ask from.")


@strawberry.type(description="A member's answer to a survey.")
class SurveyAnswer:
    id: strawberry.ID = strawberry.field(description="The answer id.")
    survey_id: strawberry.ID = strawberry.field(description="The survey answered.")
    score: int = strawberry.field(description="The score given, within the survey's `minScore`..`maxScore`.")
    comment: str | None = strawberry.field(description="The comment, trimmed; null when none was given.")
    points_awarded: int = strawberry.field(description="Whole points credited for answering: at most the survey's "
                                                       "`points`, less or 0 when the program's earning limits apply.")
    answered_at: datetime = strawberry.field(description="When the member answered (UTC).")

    @classmethod
    def from_domain(cls, a: DomainAnswer) -> SurveyAnswer:
        return cls(id=strawberry.ID(str(a.id)), survey_id=strawberry.ID(str(a.survey_id)), score=a.score,
                   comment=a.comment, points_awarded=a.points_awarded, answered_at=a.answered_at)


@strawberry.type(description="The result of answering a survey.")
class AnswerSurveyPayload:
    answer: SurveyAnswer = strawberry.field(description="The saved answer (the first one on a retry).")
    survey: Survey = strawberry.field(description="The survey answered.")


@strawberry.type(description="How many answers gave one score.")
class ScoreCount:
    score: int = strawberry.field(description="A score on the survey's scale.")
    count: int = strawberry.field(description="How many answers gave it (0 included).")


NPS_DESCRIPTION = ("NPS surveys: % promoters (9-10) minus % detractors (0-6), -100 to 100, rounded to a whole "
                   "number with halves away from zero. Null for satisfaction surveys or without answers.")


@strawberry.type(description="The figures of a set of answers: counts, NPS or average, and score distribution.")
class SurveyTally:
    responses: int = strawberry.field(description="How many answers.")
    nps: int | None = strawberry.field(description=NPS_DESCRIPTION)
    promoters: int = strawberry.field(description="NPS: answers scoring 9-10 (0 for satisfaction surveys).")
    passives: int = strawberry.field(description="NPS: answers scoring 7-8 (0 for satisfaction surveys).")
    detractors: int = strawberry.field(description="NPS: answers scoring 0-6 (0 for satisfaction surveys).")
    average_hundredths: int | None = strawberry.field(
        description="Mean score in hundredths (423 = 4.23), halves rounded up; null without answers.")
    distribution: list[ScoreCount] = strawberry.field(description="Answers per score, every score on the scale.")

    @classmethod
    def from_domain(cls, t: Tally) -> SurveyTally:
        return cls(responses=t.responses, nps=t.nps, promoters=t.promoters, passives=t.passives,
                   detractors=t.detractors, average_hundredths=t.average_hundredths,
                   distribution=[ScoreCount(score=s, count=n) for s, n in t.distribution])


@strawberry.type(description="The figures of the answers in one tier or at one store.")
class SurveyResultGroup:
    key: str | None = strawberry.field(description="Tier code or store id; null for answers without one.")
    label: str | None = strawberry.field(description="Tier name or store id.")
    results: SurveyTally = strawberry.field(description="The figures of this group's answers.")


@strawberry.type(description="A survey's results, overall and broken down by tier and by store.")
class SurveyResults:
    survey: Survey = strawberry.field(description="The survey.")
    overall: SurveyTally = strawberry.field(description="The figures of all answers.")
    by_tier: list[SurveyResultGroup] = strawberry.field(description="By the member's tier when they answered.")
    by_store: list[SurveyResultGroup] = strawberry.field(
        description="By the store of the purchase that made the member eligible (null key: event surveys).")

    @classmethod
    def from_domain(cls, r: services.SurveyResults) -> SurveyResults:
        def groups(found: list[services.ResultGroup]) -> list[SurveyResultGroup]:
            return [SurveyResultGroup(key=g.key, label=g.label, results=SurveyTally.from_domain(g.tally))
                    for g in found]

        return cls(survey=Survey.from_domain(r.survey), overall=SurveyTally.from_domain(r.overall),
                   by_tier=groups(r.by_tier), by_store=groups(r.by_store))


@strawberry.input(description="A survey to create (no `id`) or a draft to replace (with `id`).")
class SaveSurveyInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="The draft survey to change; omit to "
                                                                       "create one.")
    kind: SurveyKind = strawberry.field(description="NPS (0-10) or satisfaction (1-5).")
    question: str = strawberry.field(description="1 to 300 characters (trimmed).")
    trigger: SurveyTrigger = strawberry.field(description="Which members may answer.")
    starts_at: datetime = strawberry.field(description="When answers open (with offset).")
    ends_at: datetime = strawberry.field(description="When answers stop; after `startsAt`.")
    allow_comment: bool = strawberry.field(default=False, description="Whether answers may carry a comment.")
    purchase_within_days: int | None = strawberry.field(
        default=None, description="AFTER_PURCHASE: required, 1 to 365 days; AFTER_EVENT: omit.")
    store_ids: list[str] = strawberry.field(
        default_factory=list, description="AFTER_PURCHASE: up to 50 store ids (1-64 letters, digits or . _ : -); "
                                          "empty: any store. AFTER_EVENT: leave empty.")
    event_id: strawberry.ID | None = strawberry.field(
        default=None, description="AFTER_EVENT: required, the event whose attendees may answer; AFTER_PURCHASE: omit.")
    points: int = strawberry.field(default=0, description="Whole points for answering, paid once per member: 0 to "
                                                          "100,000.")


@strawberry.type
class SurveyQueries:
    @strawberry.field(description="Member: published surveys open now that you qualify for and have not answered "
                                  "(members only: UNAUTHENTICATED or FORBIDDEN otherwise).")
    async def open_surveys(self, info: Info) -> list[Survey]:
        ctx = info.context
        return [Survey.from_domain(s) for s in await services.open_surveys(ctx.uow(), ctx.viewer, ctx.container.now())]

    @strawberry.field(description="Staff: surveys, newest first (others: UNAUTHENTICATED or FORBIDDEN).")
    async def surveys(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="How many surveys (1 to 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.endCursor`) to continue after; omit for the newest.")] = None,
        state: Annotated[SurveyState | None, strawberry.argument(
            description="Only surveys in this state; omit for all.")] = None,
    ) -> SurveyConnection:
        ctx = info.context
        page = await services.list_surveys(ctx.uow(), ctx.viewer, state, first, after)
        edges = [SurveyEdge(cursor=c, node=Survey.from_domain(s)) for c, s in page.items]
        return SurveyConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next,
                                                                end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="Staff: one survey; NOT_FOUND for an unknown id.")
    async def survey(self, info: Info,
                     id: Annotated[strawberry.ID, strawberry.argument(description="The survey id.")]) -> Survey:
        ctx = info.context
        return Survey.from_domain(await services.get_survey(ctx.uow(), ctx.viewer, parse_id(id)))

    @strawberry.field(description="Staff: response count, NPS or average, and score distribution, overall, "
                                  "by tier and by store; NOT_FOUND for an unknown survey.")
    async def survey_results(self, info: Info, survey_id: Annotated[strawberry.ID, strawberry.argument(
            description="The survey id.")]) -> SurveyResults:
        ctx = info.context
        found = await services.survey_results(ctx.uow(), ctx.viewer, parse_id(survey_id, "surveyId"))
        return SurveyResults.from_domain(found)


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(description="Staff: create (no id) or change a draft survey. BAD_USER_INPUT with the fields "
                                     "at fault (or an unknown event), NOT_FOUND for an unknown id, CONFLICT for a "
                                     "survey no longer a draft.")
    async def save_survey(self, info: Info, input: Annotated[SaveSurveyInput, strawberry.argument(
            description="The survey.")]) -> Survey:
        ctx = info.context
        survey = DomainSurvey(
            parse_id(input.id) if input.id else 0, input.kind, input.question, input.trigger, input.starts_at,
            input.ends_at, input.allow_comment, input.purchase_within_days, list(input.store_ids),
            parse_id(input.event_id, "eventId") if input.event_id else None, input.points)
        return Survey.from_domain(await services.save_survey(ctx.uow(), ctx.viewer, survey, ctx.container.now()))

    @strawberry.mutation(description="Staff: open a draft survey to members (within its window); publishing twice "
                                     "is harmless. CONFLICT for a closed survey or one whose window has ended, "
                                     "NOT_FOUND for an unknown id.")
    async def publish_survey(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The survey id.")]) -> Survey:
        ctx = info.context
        return Survey.from_domain(await services.publish_survey(ctx.uow(), ctx.viewer, parse_id(id),
                                                                ctx.container.now()))

    @strawberry.mutation(description="Staff: stop taking answers for good (closing twice is harmless); results stay "
                                     "readable. NOT_FOUND for an unknown id.")
    async def close_survey(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The survey id.")]) -> Survey:
        ctx = info.context
        return Survey.from_domain(await services.close_survey(ctx.uow(), ctx.viewer, parse_id(id),
                                                              ctx.container.now()))

    @strawberry.mutation(description="Member: answer a survey once. A retry with the same idempotency key returns "
                                     "the first answer (IDEMPOTENCY_CONFLICT if the score or comment differ); another "
                                     "answer fails with ALREADY_ANSWERED. NOT_FOUND for an unknown or draft survey, "
                                     "FORBIDDEN outside its window or when the member does not qualify, "
                                     "BAD_USER_INPUT for a score off the scale or a comment not allowed.")
    async def answer_survey(
        self, info: Info,
        survey_id: Annotated[strawberry.ID, strawberry.argument(description="The survey id.")],
        score: Annotated[int, strawberry.argument(description="A score from the survey's `minScore` to `maxScore`.")],
        idempotency_key: Annotated[str, strawberry.argument(
            description="A key the client makes per answer (1-100 letters, digits or . _ : / -); reuse it on retry.")],
        comment: Annotated[str | None, strawberry.argument(
            description="Only when `allowComment`: at most 1000 characters; blank counts as none.")] = None,
    ) -> AnswerSurveyPayload:
        ctx = info.context
        answer, survey = await services.answer_survey(services.AnswerSurvey(
            parse_id(survey_id, "surveyId"), score, idempotency_key, comment), ctx.deps())
        return AnswerSurveyPayload(answer=SurveyAnswer.from_domain(answer), survey=Survey.from_domain(survey))
