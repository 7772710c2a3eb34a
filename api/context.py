"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from api.container import Container
from domain.auth.viewer import Viewer
from domain.deps import Deps
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

    def uow(self) -> SqlUnitOfWork:
        return self.container.uow(self.shared_reads)

    def deps(self) -> Deps:
        """A use case's dependencies: a fresh unit of work, the cache, the clock and this caller."""
        return self.container.deps(self.viewer, self.shared_reads)
