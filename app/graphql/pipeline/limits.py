"""Stage 3: the limits of a valid document, worked out in one linear pass (fragments once):
each operation's depth and aliases once its fragments are spread, and graphql-core's budget
for comparing fields of one name during validation."""

from __future__ import annotations

import re

from graphql import DocumentNode, GraphQLError
from graphql.validation.rules import overlapping_fields_can_be_merged

from app.graphql.cost import operation_shapes

#: Work graphql-core's OverlappingFieldsCanBeMerged rule may spend on one document before it
#: aborts the validation (its default, 500,000, let a valid 6 KB document of 300 fields with
#: one name validate for 1.7 s). It compares fields of one response name pairwise: the
#: benchmark's trees, GraphiQL's introspection query and every test document spend under 10.
VALIDATION_BUDGET = 20_000
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = VALIDATION_BUDGET

#: Messages of graphql-core's limits (the token limit, the validation budget), which the
#: errors stage tags as QUERY_TOO_COMPLEX so clients can tell them from typos.
LIMIT_MESSAGES = re.compile(r"Document contains more than|^Validation aborted")
#: What a client is told when the validation budget ran out.
ABORTED = (
    "The document has too many fields of one name or fragments side by side to compare "
    f"(more than {VALIDATION_BUDGET:,} comparisons): merge them."
)


def too_complex(message: str, **figures: int) -> GraphQLError:
    """A refusal with QUERY_TOO_COMPLEX and the figures that explain it."""
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX", **figures})


def depth_and_aliases(
    document: DocumentNode, max_depth: int, max_aliases: int
) -> list[GraphQLError]:
    """Each operation of a valid document over the depth or the alias limit, as errors."""
    errors = []
    for name, shape in operation_shapes(document).items():
        label = f"Operation '{name}'" if name else "The operation"
        if shape.depth > max_depth:
            errors.append(
                too_complex(
                    f"{label} is {shape.depth} levels deep (at most {max_depth}).",
                    depth=shape.depth,
                    limit=max_depth,
                )
            )
        if shape.aliases > max_aliases:
            errors.append(
                too_complex(
                    f"{label} has {shape.aliases:,} aliases once its fragments are spread "
                    f"(at most {max_aliases}).",
                    aliases=shape.aliases,
                    limit=max_aliases,
                )
            )
    return errors
