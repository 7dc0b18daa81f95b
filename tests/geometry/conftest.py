"""Theatres shared by the geometry tests (built once per session: building takes a second)."""

from __future__ import annotations

from pathlib import Path

import pytest
from geometry_support import real_loaded, zigzag_loaded
from shapely.geometry import Polygon

from truceline.agreement.loaded import LoadedAgreement
from truceline.geometry import Theatre


@pytest.fixture(scope="session")
def real_agreement(shared_data: Path) -> LoadedAgreement:
    """The 2025-09-01 line and occupied area, with a 5 km buffer and the Minsk II bands."""
    return real_loaded(shared_data)


@pytest.fixture(scope="session")
def real_theatre(real_agreement: LoadedAgreement) -> Theatre:
    return Theatre(real_agreement)


@pytest.fixture(scope="session")
def zigzag() -> LoadedAgreement:
    """A made-up theatre with uneven widths per side, a one-sided band and a no-fly zone."""
    return zigzag_loaded(
        buffer_km={"A": 3.0, "B": 2.0},
        bands_km={"mortar": {"A": 15.0, "B": 10.0}, "mlrs": {"A": 40.0}},
        exclusion=Polygon([(30.5, 47.6), (31.2, 47.6), (31.2, 48.6), (30.5, 48.6)]),
    )


@pytest.fixture(scope="session")
def zigzag_theatre(zigzag: LoadedAgreement) -> Theatre:
    return Theatre(zigzag)
