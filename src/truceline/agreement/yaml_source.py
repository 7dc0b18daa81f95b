"""Safe YAML reading that remembers where every value was written.

The node tree (`yaml.compose`) is kept beside the data so that a validation error's
location, e.g. ``("zones", "withdrawal_bands", 2, "width_km", "UA")``, can be turned into a
line number. Aliases (``*name``) are refused, which rules out "billion laughs" bombs, and
so are duplicate keys, which YAML would otherwise settle silently by keeping the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from truceline.errors import AgreementError

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted."""

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Location = Sequence[int | str | bool | float | None]
"""A path into the data: mapping keys and list indices, as pydantic reports them."""


def yaml_syntax_message(name: str, exc: yaml.YAMLError) -> str:
    """File, line, column and what the parser expected, from a PyYAML error."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        return f"{name}, line {mark.line + 1}, column {mark.column + 1}: YAML syntax error: {what}"
    return f"{name}: YAML syntax error: {exc}"


@dataclass(frozen=True)
class YamlDocument:
    """Data read from one YAML document, with its node tree for line numbers."""

    name: str
    data: Any
    root: Node | None

    def line_of(self, loc: Location) -> int | None:
        """1-based line of the value at `loc`, or of its deepest parent that exists."""
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            if part == "[key]":
                continue
            step = _child(node, part)
            if step is None:
                continue
            key_line, node = step
            line = key_line
        return line


def _scalar_value(node: ScalarNode) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_object(node)
    except yaml.YAMLError:
        return node.value
    finally:
        loader.dispose()


def _child(node: Node, part: int | str | bool | float | None) -> tuple[int, Node] | None:
    """The line and node of one step down the tree, or None when there is no such child."""
    if isinstance(node, SequenceNode) and isinstance(part, int) and not isinstance(part, bool):
        if 0 <= part < len(node.value):
            child: Node = node.value[part]
            return child.start_mark.line + 1, child
        return None
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                continue
            matches = key.value == part if isinstance(part, str) else _scalar_value(key) == part
            if matches:
                return key.start_mark.line + 1, value
    return None


def _check_tree(name: str, root: Node) -> list[str]:
    """Problems in the node tree: aliases, duplicate keys, excessive nesting."""
    problems: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            problems.append(
                f"{name}, line {node.start_mark.line + 1}: this value is reused by a YAML "
                "alias (*name); aliases are not allowed in agreement files: write the value "
                "out where it is used"
            )
            return problems
        seen.add(id(node))
        if depth > MAX_DEPTH:
            problems.append(
                f"{name}, line {node.start_mark.line + 1}: nested more than {MAX_DEPTH} "
                "levels deep; an agreement file is never that deep"
            )
            return problems
        if isinstance(node, MappingNode):
            first_line: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    ident = (key.tag, key.value)
                    if ident in first_line:
                        problems.append(
                            f"{name}, line {key.start_mark.line + 1}: duplicate key "
                            f"{key.value!r} (first written at line {first_line[ident]}); "
                            "each key may appear once"
                        )
                    else:
                        first_line[ident] = key.start_mark.line + 1
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
    return problems


def parse_yaml(text: str, name: str) -> YamlDocument:
    """Parse one YAML document safely; raise AgreementError naming file, line and column."""
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise AgreementError(yaml_syntax_message(name, exc)) from None
        if root is None:
            return YamlDocument(name=name, data=None, root=None)
        problems = _check_tree(name, root)
        if problems:
            raise AgreementError("\n".join(problems))
        try:
            data = loader.construct_document(root)
        except yaml.YAMLError as exc:
            raise AgreementError(yaml_syntax_message(name, exc)) from None
    except RecursionError:
        raise AgreementError(
            f"{name}: nested too deeply to read; an agreement file is never that deep"
        ) from None
    finally:
        loader.dispose()
    return YamlDocument(name=name, data=data, root=root)
