"""An agreement together with the geometry its files name, ready to use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry import MultiLineString, MultiPolygon

from truceline.agreement.model import Agreement


@dataclass(frozen=True)
class LoadedAgreement:
    """One version of an agreement with its line, held areas and exclusion zones loaded.

    All geometry is WGS 84 longitude/latitude, as in the GeoJSON files.
    """

    agreement: Agreement
    line: MultiLineString
    held_areas: Mapping[str, MultiPolygon] = field(default_factory=dict)
    """Area each listed party holds, by party code (the rest belongs to `rest_held_by`)."""
    exclusions: Mapping[str, MultiPolygon] = field(default_factory=dict)
    """Area of each exclusion zone, by zone id."""
    source: Path | None = None
    """The file this version was read from, when it was read from a file."""
