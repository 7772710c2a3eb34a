"""NPS and satisfaction surveys: staff build, publish, close and read results; members answer once."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.surveys import services
from domain.surveys.model import Answer as DomainAnswer
from domain.surveys.model import Survey as DomainSurvey
from domain.surveys.model import SurveyKind as DomainKind
from domain.surveys.model import SurveyState as DomainState
from domain.surveys.model import SurveyTrigger as DomainTrigger
from domain.surveys.rules import Tally
from schema.connections import PageInfo
from schema.info import Info
from schema.refs import parse_id

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainKind, name="SurveyKind", description="NPS scores 0-10, SATISFACTION 1-5.")
SurveyKind = DomainKind
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainTrigger, name="SurveyTrigger")
SurveyTrigger = DomainTrigger
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainState, name="SurveyState")
SurveyState = DomainState


@strawberry.type
class Survey:
    id: strawberry.ID
    kind: SurveyKind
    question: str
    allow_comment: bool
    min_score: int
    max_score: int
    trigger: SurveyTrigger
    purchase_within_days: int | None = strawberry.field(
        description="AFTER_PURCHASE: a purchase within this many days before answering qualifies.")
    store_ids: list[str] = strawberry.field(description="AFTER_PURCHASE: only purchases at these stores (empty: any).")
    event_id: strawberry.ID | None = strawberry.field(description="AFTER_EVENT: attending this event qualifies.")
    points: int = strawberry.field(description="Points for answering, paid once per member.")
    state: SurveyState
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def from_domain(cls, s: DomainSurvey) -> Survey:
        return cls(id=strawberry.ID(str(s.id)), kind=s.kind, question=s.question, allow_comment=s.allow_comment,
                   min_score=s.scores.start, max_score=s.scores.stop - 1, trigger=s.trigger,
                   purchase_within_days=s.purchase_within_days, store_ids=list(s.store_ids),
                   event_id=strawberry.ID(str(s.event_id)) if s.event_id is not None else None, points=s.points,
                   state=s.state, starts_at=s.starts_at, ends_at=s.ends_at)


@strawberry.type
class SurveyEdge:
    cursor: str
    node: Survey


@strawberry.type
class SurveyConnection:
    edges: list[SurveyEdge]
    page_info: PageInfo


@strawberry.type
class SurveyAnswer:
    id: strawberry.ID
    survey_id: strawberry.ID
    score: int
    comment: str | None
    points_awarded: int
    answered_at: datetime

    @classmethod
    def from_domain(cls, a: DomainAnswer) -> SurveyAnswer:
        return cls(id=strawberry.ID(str(a.id)), survey_id=strawberry.ID(str(a.survey_id)), score=a.score,
                   comment=a.comment, points_awarded=a.points_awarded, answered_at=a.answered_at)


@strawberry.type
class AnswerSurveyPayload:
    answer: SurveyAnswer
    survey: Survey


@strawberry.type
class ScoreCount:
    score: int
    count: int


NPS_DESCRIPTION = ("NPS surveys: % promoters (9-10) minus % detractors (0-6), -100 to 100, rounded to a whole "
                   "number with halves away from zero. Null for satisfaction surveys or without answers.")


@strawberry.type
class SurveyTally:
    responses: int
    nps: int | None = strawberry.field(description=NPS_DESCRIPTION)
    promoters: int
    passives: int
    detractors: int
    average_hundredths: int | None = strawberry.field(
        description="Mean score in hundredths (423 = 4.23), halves rounded up; null without answers.")
    distribution: list[ScoreCount] = strawberry.field(description="Answers per score, every score on the scale.")

    @classmethod
    def from_domain(cls, t: Tally) -> SurveyTally:
        return cls(responses=t.responses, nps=t.nps, promoters=t.promoters, passives=t.passives,
                   detractors=t.detractors, average_hundredths=t.average_hundredths,
                   distribution=[ScoreCount(score=s, count=n) for s, n in t.distribution])


@strawberry.type
class SurveyResultGroup:
    key: str | None = strawberry.field(description="Tier code or store id; null for answers without one.")
    label: str | None = strawberry.field(description="Tier name or store id.")
    results: SurveyTally


@strawberry.type
class SurveyResults:
    survey: Survey
    overall: SurveyTally
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


@strawberry.input
class SaveSurveyInput:
    id: strawberry.ID | None = None
    kind: SurveyKind
    question: str
    trigger: SurveyTrigger
    starts_at: datetime
    ends_at: datetime
    allow_comment: bool = False
    purchase_within_days: int | None = None
    store_ids: list[str] = strawberry.field(default_factory=list)
    event_id: strawberry.ID | None = None
    points: int = 0


@strawberry.type
class SurveyQueries:
    @strawberry.field(description="Member: published surveys open now that you qualify for and have not answered.")
    async def open_surveys(self, info: Info) -> list[Survey]:
        ctx = info.context
        return [Survey.from_domain(s) for s in await services.open_surveys(ctx.uow(), ctx.viewer, ctx.container.now())]

    @strawberry.field(description="Staff: surveys, newest first.")
    async def surveys(self, info: Info, first: int = 20, after: str | None = None,
                      state: SurveyState | None = None) -> SurveyConnection:
        ctx = info.context
        page = await services.list_surveys(ctx.uow(), ctx.viewer, state, first, after)
        edges = [SurveyEdge(cursor=c, node=Survey.from_domain(s)) for c, s in page.items]
        return SurveyConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next,
                                                                end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="Staff: one survey.")
    async def survey(self, info: Info, id: strawberry.ID) -> Survey:
        ctx = info.context
        return Survey.from_domain(await services.get_survey(ctx.uow(), ctx.viewer, parse_id(id)))

    @strawberry.field(description="Staff: response count, NPS or average, and score distribution, overall, "
                                  "by tier and by store.")
    async def survey_results(self, info: Info, survey_id: strawberry.ID) -> SurveyResults:
        ctx = info.context
        found = await services.survey_results(ctx.uow(), ctx.viewer, parse_id(survey_id, "surveyId"))
        return SurveyResults.from_domain(found)


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(description="Staff: create (no id) or change a draft survey.")
    async def save_survey(self, info: Info, input: SaveSurveyInput) -> Survey:
        ctx = info.context
        survey = DomainSurvey(
            parse_id(input.id) if input.id else 0, input.kind, input.question, input.trigger, input.starts_at,
            input.ends_at, input.allow_comment, input.purchase_within_days, list(input.store_ids),
            parse_id(input.event_id, "eventId") if input.event_id else None, input.points)
        return Survey.from_domain(await services.save_survey(ctx.uow(), ctx.viewer, survey, ctx.container.now()))

    @strawberry.mutation(description="Staff: open a draft survey to members (within its window).")
    async def publish_survey(self, info: Info, id: strawberry.ID) -> Survey:
        ctx = info.context
        return Survey.from_domain(await services.publish_survey(ctx.uow(), ctx.viewer, parse_id(id),
                                                                ctx.container.now()))

    @strawberry.mutation(description="Staff: stop taking answers; results stay readable.")
    async def close_survey(self, info: Info, id: strawberry.ID) -> Survey:
        ctx = info.context
        return Survey.from_domain(await services.close_survey(ctx.uow(), ctx.viewer, parse_id(id),
                                                              ctx.container.now()))

    @strawberry.mutation(description="Member: answer a survey once. A retry with the same idempotency key returns "
                                     "the first answer; another answer fails with ALREADY_ANSWERED.")
    async def answer_survey(self, info: Info, survey_id: strawberry.ID, score: int, idempotency_key: str,
                            comment: str | None = None) -> AnswerSurveyPayload:
        ctx = info.context
        answer, survey = await services.answer_survey(services.AnswerSurvey(
            parse_id(survey_id, "surveyId"), score, idempotency_key, comment), ctx.deps())
        return AnswerSurveyPayload(answer=SurveyAnswer.from_domain(answer), survey=Survey.from_domain(survey))
