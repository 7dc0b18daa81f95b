"""Batch fusion: observations in, incidents out."""

from __future__ import annotations

from collections.abc import Iterable

from truceline.fusion.aggregate import fuse_table
from truceline.fusion.build import build_incidents
from truceline.fusion.incident import Incident
from truceline.fusion.parameters import DEFAULT, FusionParameters
from truceline.observations.model import Observation
from truceline.observations.table import ObservationTable
from truceline.sources.registry import SourceRegistry


def fuse(
    observations: Iterable[Observation],
    registry: SourceRegistry,
    params: FusionParameters = DEFAULT,
) -> list[Incident]:
    """Fuse observations into incidents, sorted by id; the input order does not matter.

    Raises InputError when an observation names a source the registry does not know.
    """
    table = ObservationTable.from_observations(observations, registry)
    return build_incidents(table, fuse_table(table, params))
