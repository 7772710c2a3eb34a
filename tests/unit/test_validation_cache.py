"""Repeated documents skip parsing and validation (api/known_documents.py): the limit rules
must not defeat the cache, and a document the rules refuse is refused every time."""

from __future__ import annotations

import pytest

import api.known_documents as known_documents
from api.graphql_schema import build_schema


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    validate = known_documents.validate_document

    def counting(schema, document, rules):  # type: ignore[no-untyped-def]
        seen.append(document.loc.source.body if document.loc else "")
        return validate(schema, document, rules)

    monkeypatch.setattr(known_documents, "validate_document", counting)
    return seen


async def test_a_repeated_document_is_validated_once(validations: list[str]) -> None:
    schema = build_schema()
    document = "query RepeatedForCacheTest { __typename tiers { code } }"
    for _ in range(4):
        result = await schema.execute(document)
        assert not result.errors or all(e.path is not None for e in result.errors)
    assert validations.count(document) == 1


async def test_a_refused_document_is_refused_each_time_from_one_validation(validations: list[str]) -> None:
    schema = build_schema()
    document = "query Unknown { noSuchField }"
    for _ in range(3):
        result = await schema.execute(document)
        assert result.errors and "noSuchField" in result.errors[0].message
    assert validations.count(document) == 1
