"""Shared fixtures: the real public data beside the project, and temporary stores."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder `../shared/data`; a test that needs it fails without it."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.fail(
            f"the real data folder {SHARED_DATA} is missing: check out the shared data beside "
            "the project (../shared/data) before running the tests"
        )
    return SHARED_DATA
