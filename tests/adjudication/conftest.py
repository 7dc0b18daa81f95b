"""Fixtures of the hand-built adjudication theatre."""

from __future__ import annotations

import pytest
from adjudication_builders import loaded_agreement, registry

from truceline.adjudication.adjudicator import Adjudicator
from truceline.agreement.loaded import LoadedAgreement
from truceline.geometry.theatre import Theatre


@pytest.fixture(scope="session")
def loaded() -> LoadedAgreement:
    return loaded_agreement()


@pytest.fixture(scope="session")
def theatre(loaded: LoadedAgreement) -> Theatre:
    return Theatre(loaded)


@pytest.fixture(scope="session")
def adjudicator(loaded: LoadedAgreement, theatre: Theatre) -> Adjudicator:
    return Adjudicator(loaded, theatre, registry())
