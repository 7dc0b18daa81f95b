"""Scenarios shared by the simulation tests (simulated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from simulation_checks import Metric, real_loaded

from truceline.agreement.loaded import LoadedAgreement
from truceline.simulation import Scenario, generate_theatre, simulate


@pytest.fixture(scope="session")
def theatre() -> LoadedAgreement:
    return generate_theatre()


@pytest.fixture(scope="session")
def scenario(theatre: LoadedAgreement) -> Scenario:
    """The demo's default: a week at intensity 1, seed 7."""
    return simulate(theatre)


@pytest.fixture(scope="session")
def theatre_metric(theatre: LoadedAgreement) -> Metric:
    return Metric(theatre)


@pytest.fixture(scope="session")
def real(shared_data: Path) -> LoadedAgreement:
    return real_loaded(shared_data)


@pytest.fixture(scope="session")
def real_scenario(real: LoadedAgreement) -> Scenario:
    return simulate(real, seed=11)
