"""Shared fixtures: the real public data beside the project, and temporary stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from tests.store_backends import (
    backend,
    new_target,
    postgresql_server,
    scratch,
    store_target,
)

__all__ = ["backend", "new_target", "postgresql_server", "scratch", "store_target"]

# On CI the property tests run derandomized, so a run is reproducible; on a developer's
# machine they explore new examples each time. HYPOTHESIS_PROFILE chooses explicitly.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

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
