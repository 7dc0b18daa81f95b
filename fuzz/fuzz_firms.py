"""Fuzz the NASA FIRMS CSV adapter with atheris: python fuzz/fuzz_firms.py [libFuzzer options]."""

from __future__ import annotations

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).parent))

from common import AdapterTarget

TARGET: AdapterTarget | None = None


def test_one_input(data: bytes) -> None:
    global TARGET
    if TARGET is None:
        TARGET = AdapterTarget("firms", ".csv")
    TARGET(data)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
