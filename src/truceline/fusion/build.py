"""Incident objects from the columns of a FusionResult."""

from __future__ import annotations

import gc
import hashlib
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from truceline.fusion.aggregate import FusionResult, IndexArray
from truceline.fusion.incident import Incident
from truceline.observations.table import DOMAINS, GRADES, KINDS, ObservationTable

_KINDS_BY_VALUE = sorted(range(len(KINDS)), key=lambda code: KINDS[code].value)


def incident_id(smallest_observation_id: str) -> str:
    """The id of the incident whose smallest observation id is the one given.

    Components are disjoint, so no two incidents share it; an incident keeps its id while it
    grows, unless an observation with a smaller id joins.
    """
    digest = hashlib.sha256(smallest_observation_id.encode()).hexdigest()
    return f"inc-{digest[:24]}"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic objects are made: otherwise
    it scans them again and again (twice the time for 10^5 incidents)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _ranges(starts: IndexArray, stops: IndexArray) -> tuple[IndexArray, list[int]]:
    """The positions of several ranges laid end to end, and where each one starts."""
    sizes = stops - starts
    bounds = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    positions = np.arange(bounds[-1], dtype=np.int64) + np.repeat(starts - bounds[:-1], sizes)
    return positions, bounds.tolist()


def build_incidents(
    table: ObservationTable,
    result: FusionResult,
    which: Sequence[int] | npt.NDArray[np.integer[Any]] | None = None,
) -> list[Incident]:
    """One Incident per component of the result (or per incident number in `which`),
    sorted by id."""
    sel = np.arange(result.n_incidents) if which is None else np.asarray(which, dtype=np.int64)
    rows, offsets = _ranges(result.offsets[sel], result.offsets[sel + 1])
    observation_ids: list[str] = table.ids[result.order[rows]].tolist()
    firsts: list[str] = table.ids[result.first[sel]].tolist()
    lon: list[float] = result.lon[sel].tolist()
    lat: list[float] = result.lat[sel].tolist()
    unc: list[float] = result.location_uncertainty_m[sel].tolist()
    start: list[float] = result.start[sel].tolist()
    end: list[float] = result.end[sel].tolist()
    domain: list[int] = result.domain[sel].tolist()
    primary: list[int] = result.primary_kind[sel].tolist()
    kind_counts: list[list[int]] = result.kind_counts[sel].tolist()
    weapon: list[int] = result.weapon[sel].tolist()
    calibre: list[float] = result.calibre[sel].tolist()
    independent: list[int] = result.independent_sources[sel].tolist()
    confidence: list[float] = result.confidence[sel].tolist()
    origin_lon: list[float] = result.origin_lon[sel].tolist()
    origin_lat: list[float] = result.origin_lat[sel].tolist()
    bearing: list[float] = result.bearing[sel].tolist()
    party_weapon: list[int] = result.party_weapon[sel].tolist()
    party_calibre: list[float] = result.party_calibre[sel].tolist()
    party_origin_lon: list[float] = result.party_origin_lon[sel].tolist()
    party_origin_lat: list[float] = result.party_origin_lat[sel].tolist()
    party_bearing: list[float] = result.party_bearing[sel].tolist()
    source_rows, source_bounds = _ranges(
        np.searchsorted(result.source_incident, sel, side="left"),
        np.searchsorted(result.source_incident, sel, side="right"),
    )
    source_names = [table.sources[c] for c in result.source_code[source_rows].tolist()]
    grade_names = [GRADES[c] for c in result.source_grade[source_rows].tolist()]
    party_rows, party_bounds = _ranges(
        np.searchsorted(result.party_incident, sel, side="left"),
        np.searchsorted(result.party_incident, sel, side="right"),
    )
    party_names = [table.parties[c] for c in result.party_code[party_rows].tolist()]

    incidents: list[Incident] = []
    with _collector_paused():
        for i in range(len(sel)):
            counts = kind_counts[i]
            present = [code for code in _KINDS_BY_VALUE if counts[code]]
            s0, s1 = source_bounds[i], source_bounds[i + 1]
            sources = source_names[s0:s1]
            attributes: dict[str, Any] = {
                "kind_counts": {KINDS[code].value: counts[code] for code in present},
                "source_grades": dict(zip(sources, grade_names[s0:s1], strict=True)),
            }
            if not math.isnan(origin_lon[i]):
                attributes["origin_lon"] = origin_lon[i]
                attributes["origin_lat"] = origin_lat[i]
            if not math.isnan(bearing[i]):
                attributes["fire_from_bearing_deg"] = bearing[i]
            if party_weapon[i] >= 0:
                attributes["party_weapon_class"] = table.weapon_classes[party_weapon[i]]
            if not math.isnan(party_calibre[i]):
                attributes["party_calibre_mm"] = party_calibre[i]
            if not math.isnan(party_origin_lon[i]):
                attributes["party_origin_lon"] = party_origin_lon[i]
                attributes["party_origin_lat"] = party_origin_lat[i]
            if not math.isnan(party_bearing[i]):
                attributes["party_fire_from_bearing_deg"] = party_bearing[i]
            incidents.append(
                Incident.model_construct(
                    id=incident_id(firsts[i]),
                    observation_ids=tuple(observation_ids[offsets[i] : offsets[i + 1]]),
                    lon=lon[i],
                    lat=lat[i],
                    location_uncertainty_m=unc[i],
                    start=_utc(start[i]),
                    end=_utc(end[i]),
                    domain=DOMAINS[domain[i]],
                    primary_kind=KINDS[primary[i]],
                    kinds=tuple(KINDS[code] for code in present),
                    weapon_class=None if weapon[i] < 0 else table.weapon_classes[weapon[i]],
                    calibre_mm=None if math.isnan(calibre[i]) else calibre[i],
                    source_ids=tuple(sources),
                    independent_sources=independent[i],
                    party_reporters=tuple(party_names[party_bounds[i] : party_bounds[i + 1]]),
                    confidence=confidence[i],
                    attributes=attributes,
                )
            )
    incidents.sort(key=lambda incident: incident.id)
    return incidents
