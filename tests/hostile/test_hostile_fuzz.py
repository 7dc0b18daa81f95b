"""A bounded run of every atheris harness in fuzz/ (2,000 inputs each, from its seeds).

`make fuzz` runs the same harnesses for longer. A harness fails on any exception other
than the parser's documented refusal, on a refusal without a message, on an input taking
more than 10 s (a hang) and on more than 2 GiB of memory (a blow-up).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
HARNESSES = ("agreement", "api", "cap", "csv", "firms", "geojson")


def test_every_harness_has_seeds() -> None:
    found = sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py"))
    assert found == sorted(HARNESSES)
    for name in HARNESSES:
        assert any((FUZZ / "seeds" / name).iterdir()), f"fuzz/seeds/{name} is empty"


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_bounded_run(tmp_path: Path, name: str) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FUZZ / "seeds" / name, corpus)
    done = subprocess.run(
        [
            sys.executable,
            str(FUZZ / f"fuzz_{name}.py"),
            "-runs=2000",
            "-seed=1",
            "-max_len=8192",
            "-timeout=10",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "DONE" in output, output[-4000:]
