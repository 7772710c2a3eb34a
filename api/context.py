"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from api.container import Container
from domain.auth.viewer import Role, Viewer
from domain.deps import Deps
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
    client_address: str | None = field(default=None)  # the peer's IP, for per-address abuse limits
    socket_slot: tuple[str, str] | None = field(default=None)  # websockets: (subject key, socket id) in Presence
    language: str = DEFAULT_LANGUAGE  # of member-facing messages: see api/languages.py
    log_fields: dict[str, object] = field(default_factory=dict)  # for the access log line

    def uow(self) -> SqlUnitOfWork:
        uow = self.container.uow(self.shared_reads, subject=self.subject)
        if self.viewer.role is Role.MEMBER:
            # The token check at the door may have read a stale cached profile: writes re-check erasure
            # in the database inside their own transaction.
            uow.guard_member(self.viewer.subject_id)
        return uow

    @property
    def subject(self) -> str | None:
        """Who this caller is for read-your-writes routing ("member:7"); None for anonymous callers."""
        viewer = self.viewer
        if viewer.role is None or viewer.subject_id is None:
            return None
        return f"{viewer.role.value}:{viewer.subject_id}"

    def deps(self) -> Deps:
        """A use case's dependencies: a fresh (guarded) unit of work, the cache, the clock and this caller."""
        return Deps(self.uow(), self.container.cache, self.container.clock, self.viewer)
