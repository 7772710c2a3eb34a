"""Each distinct GraphQL document is parsed and validated once per schema, not once per request.

One extension in place of Strawberry's MaxTokensLimiter, AddValidationRules, ParserCache and
ValidationCache. Those four cost a member's home query four extension instances and their hooks'
context managers per request, and ValidationCache keys its LRU on the parsed document, whose hash
graphql-core recomputes over every node of the tree each time. Here both caches key on the
document's text, whose hash Python keeps on the string, and the rules (the depth and alias limits,
no introspection where it is off) are the schema's, built once by build_schema.

Refusals are unchanged: a document over the token limit fails to parse (errors are not cached, so
it is refused every time, as before), and one the rules refuse gets the same errors, from the cache.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document


class KnownDocuments:
    """The per-schema caches; `extension()` is the factory to list in the schema's extensions."""

    def __init__(self, rules: Sequence[type[ASTValidationRule]], max_tokens: int, maxsize: int = 512) -> None:
        self.rules = tuple(rules)
        self._parsed = lru_cache(maxsize=maxsize)(lambda query: parse(query, max_tokens=max_tokens))
        self._errors: dict[str, list[GraphQLError]] = {}
        self._maxsize = maxsize

    def parsed(self, query: str) -> DocumentNode:
        return self._parsed(query)

    def errors(self, query: str, schema: GraphQLSchema, document: DocumentNode,
               rules: tuple[type[ASTValidationRule], ...]) -> list[GraphQLError]:
        found = self._errors.get(query)
        if found is None:
            found = validate_document(schema, document, rules)
            if len(self._errors) >= self._maxsize:
                self._errors.pop(next(iter(self._errors)))  # the oldest: bounded, like the parse cache
            self._errors[query] = found
        return found

    def extension(self) -> KnownDocumentsExtension:
        return KnownDocumentsExtension(self)


class KnownDocumentsExtension(SchemaExtension):
    def __init__(self, known: KnownDocuments) -> None:
        self.known = known

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = self.known.parsed(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            rules = context.validation_rules + self.known.rules
            # Setting the errors (an empty list too) tells Strawberry validation is done.
            context.pre_execution_errors = (
                self.known.errors(context.query, context.schema._schema, document, rules)
                if context.query is not None else validate_document(context.schema._schema, document, rules))
        yield
