"""Plain messages for pydantic validation errors: where (file, line, path) and what was expected."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from truceline.agreement.yaml_source import Location

MAX_REPORTED = 20
"""At most this many errors are listed; the rest are counted."""

_PROBLEM_START = re.compile(r"; (?=[A-Za-z_][\w.\[\]-]*: )")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

LineOf = Callable[[Location], int | None]


def format_location(loc: Location) -> str:
    """A location as a YAML path: ``("zones", "bands", 2, "UA")`` as ``zones.bands[2].UA``."""
    text = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def parse_location(path: str) -> tuple[int | str, ...]:
    """The inverse of `format_location`, for the paths the model's own checks write."""
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(path))


def model_in_annotation(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field annotation holds, e.g. `WithdrawalBand` in a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = model_in_annotation(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], loc: Location) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, str) and part in current.model_fields:
            current = model_in_annotation(current.model_fields[part].annotation)
        elif not (isinstance(part, int) and not isinstance(part, bool)):
            return None
    return current


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _explain(error: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    value = error.get("input")
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        text = f"unknown key {loc[-1]!r}"
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            text += f" (did you mean {close[0]!r}?)"
        if allowed:
            text += f"; expected one of: {', '.join(allowed)}"
        return text
    text = _lower_first(str(error["msg"]))
    if loc and loc[-1] == "[key]":
        text = f"key {_shown(value)}: {text}"
    else:
        text += f" (got {_shown(value)})"
    if kind == "timezone_aware":
        text += "; write the time with its UTC offset, e.g. 2015-02-15T00:00:00+02:00"
    if isinstance(value, bool) and kind in {"string_type", "string_pattern_mismatch"}:
        text += "; YAML reads yes/no/on/off (and NO) as true/false: put the value in quotes"
    if kind == "literal_error" and loc == ("schema_version",):
        text += "; this version of Truceline reads agreement format 1"
    return text


def _problem_entry(problem: str) -> tuple[Location, str]:
    path, sep, text = problem.partition(": ")
    return (parse_location(path), text) if sep else ((), problem)


def _entries(exc: ValidationError, model: type[BaseModel]) -> list[tuple[Location, str]]:
    entries: list[tuple[Location, str]] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        cause = error.get("ctx", {}).get("error")
        if not loc and error["type"] == "value_error" and cause is not None:
            entries += [_problem_entry(p) for p in _PROBLEM_START.split(str(cause))]
        else:
            entries.append((loc, _explain(error, model)))
    return entries


def describe_validation_error(
    exc: ValidationError,
    *,
    model: type[BaseModel],
    where: str,
    line_of: LineOf | None = None,
    problems: Sequence[str] = (),
) -> list[str]:
    """One line per problem: ``where, line N, path: what was expected (got ...)``.

    `problems` (``path: text``, as the model's own cross-field checks write them) are
    listed after the errors of `exc`.
    """
    lines: list[str] = []
    entries = _entries(exc, model) + [_problem_entry(p) for p in problems]
    for loc, text in entries[:MAX_REPORTED]:
        head = where
        line = line_of(loc) if line_of else None
        if line is not None:
            head += f", line {line}"
        # A key that fails is named in the text; the path names the mapping holding it.
        path = format_location(loc[:-2] if loc and loc[-1] == "[key]" else loc)
        if path:
            head += f", {path}"
        lines.append(f"{head}: {text}")
    if len(entries) > MAX_REPORTED:
        lines.append(f"{where}: ... and {len(entries) - MAX_REPORTED} more errors")
    return lines
