"""One check of every argument value before any resolver runs, so no field can forget it:

- no NUL byte in any string (PostgreSQL text cannot hold one, and no screen needs one);
- an input field stored in a column is no longer than that column (`domain.store.failures.string_limits`);
- page sizes (`first`, `last`) are not negative.

A violation answers BAD_USER_INPUT with `fieldErrors` for the root field that carried it, and
nothing runs. Values arrive inline in the document or through variables; both are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from domain.errors import BadUserInput, FieldError
from domain.store.failures import string_limits

_LIMITS = string_limits()
_PAGE_SIZES = ("first", "last")


def _violations(name: str, value: Any, errors: list[FieldError]) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            errors.append(FieldError(name, "Text cannot contain NUL characters."))
        elif (limit := _LIMITS.get(name)) is not None and len(value) > limit:
            errors.append(FieldError(name, f"At most {limit} characters."))
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if name in _PAGE_SIZES and value < 0:
            errors.append(FieldError(name, "Page size cannot be negative."))
    elif isinstance(value, dict):
        for key, item in value.items():
            _violations(str(key), item, errors)
    elif isinstance(value, list):
        for item in value:
            _violations(name, item, errors)


def _fields(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
            seen: set[str]) -> Iterator[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        else:
            name = selection.name.value
            if name in fragments and name not in seen:
                seen.add(name)
                yield from _fields(fragments[name].selection_set, fragments, seen)


Plan = list[tuple[FieldNode, list[ArgumentNode]]]


def argument_plan(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> Plan:
    """Each root field with every argument under it (its own and its sub-fields'), in document order."""
    plan: Plan = []
    for root in operation.selection_set.selections:
        roots = [root] if isinstance(root, FieldNode) else list(_fields(SelectionSetNode(selections=(root,)),
                                                                        fragments, set()))
        for top in roots:
            plan.append((top, [argument for node in [top, *_fields(top.selection_set, fragments, set())]
                               for argument in node.arguments or ()]))
    return plan


def check_arguments(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode],
                    variables: dict[str, Any] | None,
                    plan: Plan | None = None) -> tuple[FieldNode, list[FieldError]] | None:
    """The first root field whose arguments (or its sub-fields' arguments) break a rule, with the errors."""
    for top, arguments in plan if plan is not None else argument_plan(operation, fragments):
        errors: list[FieldError] = []
        for argument in arguments:
            _violations(argument.name.value, value_from_ast_untyped(argument.value, variables), errors)
        if errors:
            return top, errors
    return None


# The plan depends on the document and the operation only, and the same few documents arrive again
# and again: walking the home query's ~120 nodes per request was the guard's whole cost.
_PLANS: dict[tuple[str, str | None], Plan] = {}
_PLANS_MAX = 512


class InputGuard(SchemaExtension):
    @staticmethod
    def _plan(query: str | None, operation_name: str | None, operation: OperationDefinitionNode,
              fragments: dict[str, FragmentDefinitionNode]) -> Plan:
        if query is None:
            return argument_plan(operation, fragments)
        key = (query, operation_name)
        plan = _PLANS.get(key)
        if plan is None:
            plan = argument_plan(operation, fragments)
            if len(_PLANS) >= _PLANS_MAX:
                _PLANS.pop(next(iter(_PLANS)))
            _PLANS[key] = plan
        return plan

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            wanted = [o for o in operations
                      if context.operation_name is None or (o.name and o.name.value == context.operation_name)]
            found = None
            if len(wanted) == 1:
                fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
                found = check_arguments(wanted[0], fragments, context.variables,
                                        self._plan(context.query, context.operation_name, wanted[0], fragments))
            if found is not None:
                field, errors = found
                refusal = BadUserInput(errors[0].message if len(errors) == 1 else "Some values are invalid.", errors)
                key = field.alias.value if field.alias else field.name.value
                context.result = ExecutionResult(None, [GraphQLError(
                    refusal.message, nodes=[field], path=[key], original_error=refusal)])
        yield
