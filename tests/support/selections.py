"""Random selections of a type's fields, for the differential tests that ask two paths the
same document: aliases, @include/@skip on `$yes` and inline fragments mixed in, children
nested down to a fourth level (a Hypothesis strategy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypothesis import strategies as st

#: The leaf fields a selection may ask of each type (with arguments, if any).
Leaves = Mapping[str, Sequence[str]]
#: The object fields of each type a selection may descend into: (field, its type).
Children = Mapping[str, Sequence[tuple[str, str]]]


@st.composite
def selections(
    draw: st.DrawFn, leaves: Leaves, children: Children, type_name: str, depth: int = 1
) -> str:
    """A selection set's text (without braces) of `type_name` at `depth`."""
    parts: list[str] = []
    fields = draw(st.lists(st.sampled_from(leaves[type_name]), min_size=1, max_size=5))
    for field in fields:
        alias = draw(st.sampled_from(["", "", "x: ", "y: "]))
        directive = draw(st.sampled_from(["", "", " @include(if: $yes)", " @skip(if: $yes)"]))
        alias = alias if "__typename" not in field else ""
        parts.append(f"{alias}{field}{directive}")
    if depth < 4:
        for child, child_type in children[type_name]:
            if draw(st.booleans()):
                inner = draw(selections(leaves, children, child_type, depth + 1))
                parts.append(f"{child} {{ {inner} }}")
    if draw(st.booleans()):
        parts = [f"... on {type_name} {{ {' '.join(parts)} }}"]
    return " ".join(parts)
