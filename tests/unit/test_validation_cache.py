"""Repeated documents skip validation: the limit rules must not defeat the validation cache."""

from __future__ import annotations

from strawberry.extensions.validation_cache import _get_validate_cache

from api.graphql_schema import build_schema


async def test_a_repeated_document_is_validated_once() -> None:
    schema = build_schema()
    cache = _get_validate_cache(512)
    document = "query RepeatedForCacheTest { __typename tiers { code } }"
    await schema.execute(document)
    before = cache.cache_info()
    for _ in range(3):
        await schema.execute(document)
    after = cache.cache_info()
    assert after.hits - before.hits == 3 and after.misses == before.misses
