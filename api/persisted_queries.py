"""Persisted documents: Apollo's automatic persisted queries (APQ) and, for production, an
allow-list of trusted documents.

APQ: a client sends `extensions.persistedQuery.sha256Hash` alone; an unknown hash answers
PERSISTED_QUERY_NOT_FOUND (message `PersistedQueryNotFound`, as Apollo clients expect) and the
client repeats the request with the full `query`, which is checked against the hash and stored in
the shared cache (Redis when configured), so every worker knows it from then on.

Trusted documents (TRUSTED_DOCUMENTS=path to a manifest): only the listed documents run, by hash
or by text; APQ registration is off, since it would let anyone add documents. Mini-program
bundles ship fixed documents, so production can refuse everything else.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from domain.error_codes import ErrorCode
from domain.ports import Cache

_KEY = "apq:"
KNOWN_MAX = 1_000


class PersistedQueryProblem(Exception):
    """Answered as a GraphQL error with this code; `status` is the HTTP status."""

    def __init__(self, code: ErrorCode, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def load_trusted_documents(path: str) -> dict[str, str]:
    """Apollo's persisted-query manifest ({"operations": [{"id", "body"}...]}) or {hash: document}."""
    data = json.loads(Path(path).read_text())
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        documents = {str(op["id"]): str(op["body"]) for op in data["operations"]}
    elif isinstance(data, dict):
        documents = {str(k): str(v) for k, v in data.items()}
    else:
        raise ValueError(f"{path}: not a persisted-query manifest")
    for sha, document in documents.items():
        if sha256_hex(document) != sha.lower():
            raise ValueError(f"{path}: the hash {sha} does not match its document")
    return {sha.lower(): document for sha, document in documents.items()}


def _requested_hash(params: dict[str, Any]) -> str | None:
    extensions = params.get("extensions")
    if isinstance(extensions, str):  # GET sends it as JSON text
        try:
            extensions = json.loads(extensions)
        except ValueError:
            raise PersistedQueryProblem(ErrorCode.BAD_REQUEST, "'extensions' must be JSON.", 400) from None
    if not isinstance(extensions, dict) or "persistedQuery" not in extensions:
        return None
    persisted = extensions["persistedQuery"]
    sha = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(sha, str) or len(sha) != 64:
        raise PersistedQueryProblem(ErrorCode.BAD_REQUEST, "persistedQuery.sha256Hash must be 64 hex digits.", 400)
    if persisted.get("version", 1) != 1:
        raise PersistedQueryProblem(ErrorCode.BAD_REQUEST, "Only persistedQuery version 1 is supported.", 400)
    return sha.lower()


class PersistedQueries:
    def __init__(self, cache: Cache, ttl_seconds: int, trusted: dict[str, str] | None = None) -> None:
        self._cache = cache
        self._ttl = ttl_seconds
        self._trusted = trusted
        # Documents this worker has seen under their hash: named by their content, so never stale,
        # and one Redis round trip fewer for every request by a known hash.
        self._known: dict[str, str] = {}

    def persisted_sha(self, params: dict[str, Any], document: Any) -> str | None:
        """After `document`: the sha naming the document when it was sent as a persisted one (an APQ
        hash, or any document in trusted mode), else None."""
        if self._trusted is not None:
            return sha256_hex(document) if isinstance(document, str) else None
        return _requested_hash(params)

    async def document(self, params: dict[str, Any]) -> Any:
        """The document to run: `query` as sent, or the one a known hash names."""
        query = params.get("query")
        sha = _requested_hash(params)
        has_text = isinstance(query, str) and bool(query.strip())
        if sha is not None and has_text and sha256_hex(query) != sha:
            raise PersistedQueryProblem(ErrorCode.BAD_REQUEST, "provided sha does not match query", 400)
        if self._trusted is not None:
            wanted = sha or (sha256_hex(query) if has_text else None)
            if wanted is None:
                return query  # no document at all: the usual 400 follows
            if wanted not in self._trusted:
                raise PersistedQueryProblem(ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
                                            "This document is not among the trusted documents.", 400)
            return self._trusted[wanted]
        if sha is None:
            return query
        if has_text:
            await self._cache.put_if_newer(_KEY + sha, 1, {"query": query}, self._ttl)
            return query
        if sha in self._known:
            return self._known[sha]
        # Named by its hash, so never stale: read without the balance cache's trust lease.
        stored = await self._cache.get_content(_KEY + sha)
        if stored is None or not isinstance(stored.get("query"), str):
            raise PersistedQueryProblem(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        if len(self._known) >= KNOWN_MAX:
            self._known.clear()  # a bound against hash floods, not an eviction policy
        self._known[sha] = stored["query"]
        return stored["query"]
