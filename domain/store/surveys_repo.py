"""Surveys and their answers; results are tallied by GROUP BY in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.privacy.model import Erasure
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import event_signups, purchases, survey_answers, surveys
from domain.surveys.model import (
    Answer,
    RecentPurchase,
    ScoreCell,
    Survey,
    SurveyKind,
    SurveyState,
    SurveyTrigger,
)


def _survey(row: Row) -> Survey:
    return Survey(row.id, SurveyKind(row.kind), row.question, SurveyTrigger(row.trigger), row.starts_at, row.ends_at,
                  row.allow_comment, row.purchase_within_days, list(row.store_ids), row.event_id, row.points,
                  SurveyState(row.state), row.created_at)


def _answer(row: Row) -> Answer:
    return Answer(row.id, row.survey_id, row.member_id, row.score, row.comment, row.tier_id, row.store_id,
                  row.points_awarded, row.idempotency_key, row.answered_at)


class SqlSurveyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save(self, survey: Survey, now: datetime) -> Survey:
        values = dict(kind=survey.kind.value, question=survey.question, allow_comment=survey.allow_comment,
                      trigger=survey.trigger.value, purchase_within_days=survey.purchase_within_days,
                      store_ids=list(survey.store_ids), event_id=survey.event_id, points=survey.points,
                      starts_at=survey.starts_at, ends_at=survey.ends_at, updated_at=now)
        statement = (update(surveys).where(surveys.c.id == survey.id).values(**values) if survey.id
                     else insert(surveys).values(**values, state=SurveyState.DRAFT.value, created_at=now))
        return _survey((await self._conn.execute(statement.returning(*surveys.c))).one())

    async def get(self, survey_id: int, for_update: bool = False) -> Survey | None:
        query = select(surveys).where(surveys.c.id == survey_id)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return _survey(row) if row else None

    async def set_state(self, survey_id: int, state: SurveyState, now: datetime) -> Survey:
        row = (await self._conn.execute(update(surveys).where(surveys.c.id == survey_id)
                                        .values(state=state.value, updated_at=now).returning(*surveys.c))).one()
        return _survey(row)

    async def page(self, state: SurveyState | None, before_id: int | None, limit: int) -> list[Survey]:
        query = select(surveys).order_by(surveys.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(surveys.c.state == state.value)
        if before_id is not None:
            query = query.where(surveys.c.id < before_id)
        return [_survey(r) for r in await self._conn.execute(query)]

    async def open_at(self, now: datetime, limit: int) -> list[Survey]:
        rows = await self._conn.execute(
            select(surveys).where(surveys.c.state == SurveyState.PUBLISHED.value, surveys.c.ends_at > now,
                                  surveys.c.starts_at <= now)
            .order_by(surveys.c.ends_at, surveys.c.id).limit(limit))
        return [_survey(r) for r in rows]

    async def answered_among(self, member_id: int, survey_ids: Sequence[int]) -> set[int]:
        if not survey_ids:
            return set()
        rows = await self._conn.execute(select(survey_answers.c.survey_id).where(
            survey_answers.c.member_id == member_id, survey_answers.c.survey_id.in_(list(survey_ids))))
        return {r.survey_id for r in rows}

    async def latest_purchase_per_store(self, member_id: int, since: datetime, until: datetime
                                        ) -> list[RecentPurchase]:
        # One row per store however often the member shops: enough to test any store filter and window.
        latest = func.max(purchases.c.purchased_at).label("latest")
        rows = await self._conn.execute(
            select(purchases.c.store_id, latest)
            .where(purchases.c.member_id == member_id, purchases.c.purchased_at >= since,
                   purchases.c.purchased_at <= until)
            .group_by(purchases.c.store_id))
        return [RecentPurchase(r.latest, r.store_id)
                for r in rows]

    async def attended_among(self, member_id: int, event_ids: Sequence[int]) -> set[int]:
        if not event_ids:
            return set()
        rows = await self._conn.execute(select(event_signups.c.event_id).where(
            event_signups.c.member_id == member_id, event_signups.c.event_id.in_(list(event_ids)),
            event_signups.c.status == "ATTENDED"))
        return {r.event_id for r in rows}

    async def answer(self, survey_id: int, member_id: int) -> Answer | None:
        row = (await self._conn.execute(select(survey_answers).where(
            survey_answers.c.survey_id == survey_id, survey_answers.c.member_id == member_id))).first()
        return _answer(row) if row else None

    async def add_answer(self, survey_id: int, member_id: int, score: int, comment: str | None,
                         tier_id: int | None, store_id: str | None, idempotency_key: str,
                         now: datetime) -> Answer | None:
        row = (await self._conn.execute(
            insert_ignoring_conflict(self._conn, survey_answers, ["survey_id", "member_id"])
            .values(survey_id=survey_id, member_id=member_id, score=score, comment=comment, tier_id=tier_id,
                    store_id=store_id, points_awarded=0, idempotency_key=idempotency_key, answered_at=now)
            .returning(*survey_answers.c))).first()
        return _answer(row) if row else None

    async def set_points(self, answer_id: int, points: int) -> None:
        await self._conn.execute(update(survey_answers).where(survey_answers.c.id == answer_id)
                                 .values(points_awarded=points))

    async def score_cells(self, survey_id: int) -> list[ScoreCell]:
        # One scan of the survey's answers; the use case adds the few cells up per tier and per store.
        rows = await self._conn.execute(
            select(survey_answers.c.tier_id, survey_answers.c.store_id, survey_answers.c.score,
                   func.count().label("n"))
            .where(survey_answers.c.survey_id == survey_id)
            .group_by(survey_answers.c.tier_id, survey_answers.c.store_id, survey_answers.c.score))
        return [ScoreCell(r.tier_id, r.store_id, r.score, r.n) for r in rows]

    async def erase_member(self, erasure: Erasure) -> None:
        await self._conn.execute(update(survey_answers).where(
            survey_answers.c.member_id == erasure.member_id, survey_answers.c.comment.is_not(None))
            .values(comment=None))
