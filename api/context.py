"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from api.container import Container
from domain.auth.viewer import Viewer
from domain.messages import DEFAULT_LANGUAGE
from domain.store.unit_of_work import SharedReads, SqlUnitOfWork

if TYPE_CHECKING:
    from schema.loaders import Loaders
    from schema.query_reads import QueryReads


@dataclass
class Context:
    container: Container
    viewer: Viewer
    loaders: Loaders
    request_id: str
    connection_params: dict[str, object] | None = field(default=None)
    shared_reads: SharedReads | None = field(default=None)  # HTTP requests only: see SharedReads
    query_reads: QueryReads | None = field(default=None)  # HTTP requests only: see QueryReads
    language: str = DEFAULT_LANGUAGE  # of member-facing messages: see api/languages.py
    log_fields: dict[str, object] = field(default_factory=dict)  # for the access log line

    def uow(self) -> SqlUnitOfWork:
        return self.container.uow(self.shared_reads)
