"""Fuzz the CAP 1.2 XML reader (`parse_cap`) with atheris: python fuzz/fuzz_cap.py [options]."""

from __future__ import annotations

import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["truceline"]):
    from truceline.errors import InputError
    from truceline.response.cap import parse_cap


def test_one_input(data: bytes) -> None:
    try:
        parse_cap(data)
    except InputError as exc:
        if not exc.field or not str(exc).strip():
            raise AssertionError(f"a refusal without a field or a message: {exc!r}") from exc


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
