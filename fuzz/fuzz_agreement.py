"""Fuzz the agreement YAML loader with atheris: python fuzz/fuzz_agreement.py [options]."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["truceline"]):
    from truceline.agreement.loader import load_agreement
    from truceline.errors import AgreementError, GeometryError

FOLDER = Path(tempfile.mkdtemp(prefix="truceline-fuzz-"))
"""An empty folder: a file the agreement names is never found outside it."""


def test_one_input(data: bytes) -> None:
    path = FOLDER / "agreement.yaml"
    path.write_bytes(data)
    try:
        load_agreement(path)
    except (AgreementError, GeometryError) as exc:
        if not str(exc).strip():
            raise AssertionError("a refusal without a message") from exc


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
