"""Checks between fields, run on raw agreement data whose validation failed elsewhere.

Pydantic runs the agreement's own cross-field checks only when every field is valid, so a
file with one bad value would hide, say, an unknown party code. Here each section the
checks read is validated on its own, and the checks run on the sections that pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from truceline.agreement.model import Agreement, Sections, consistency_problems


def _adapter(name: str) -> TypeAdapter[Any]:
    info = Agreement.model_fields[name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation)


_ADAPTERS = {field.name: _adapter(field.name) for field in fields(Sections)}


def cross_field_problems(data: Mapping[str, Any]) -> list[str]:
    """Problems between the sections of `data` that are valid on their own, each
    ``<YAML path>: <what is wrong>``, as `Agreement` would report them."""
    values: dict[str, Any] = {}
    for name, adapter in _ADAPTERS.items():
        info = Agreement.model_fields[name]
        if name not in data:
            if not info.is_required():
                values[name] = info.get_default(call_default_factory=True)
            continue
        try:
            values[name] = adapter.validate_python(data[name])
        except ValidationError:
            continue
    return consistency_problems(Sections(**values))
