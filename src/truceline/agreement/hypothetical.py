"""A hypothetical ceasefire on a real line of contact: Minsk II style terms, real geometry.

For replays of real feeds ("what would the monitors have determined, had a ceasefire been in
force from that day?"). The line of contact and the area one party occupies come from GeoJSON
files (e.g. a DeepStateMap download and `truceline agreement derive-line`); the terms are
those of `truceline.simulation.theatre.minsk_style_agreement`: fire within 40 km of the line
(`CV-FIRE`), heavy weapons in their withdrawal bands, armed presence in a 2 km buffer per side.

Sides. The format gives every point in no held area to one party (`rest_held_by`). Left at
that, the holder's side would take in the sea and the other party's own country. With the
country's outline, the holder holds the outline minus the occupied area, the occupier the
occupied area, and the rest of the world (beyond the outline: the occupier's own territory
along a front, the sea off the coast) goes to the occupier by default.

Satellite thermal anomalies. With `thermal_fire` (the default), `CV-FIRE` also lists the kind
`thermal_anomaly`, so that a FIRMS detection the background model finds anomalous can be a
suspected breach of it. A `fire` (a detection usual for the place and season) meets no rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon

from truceline.agreement.geometry_files import (
    areas_from_geojson,
    lines_from_geojson,
    read_geojson,
)
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement, LineOfContact, Party
from truceline.errors import GeometryError, InputError
from truceline.observations.model import Kind
from truceline.simulation.theatre import minsk_style_agreement

UKRAINE = Party(code="UA", name="Armed Forces of Ukraine", adjective="Ukrainian")
RUSSIA = Party(
    code="RU",
    name="Armed Forces of the Russian Federation and the forces under their control",
    adjective="Russian",
)
STRATEGIES = ("same-day", "retrospective")
FIRE_ACT = "CV-FIRE"
"""The act of `minsk_style_agreement` that satellite thermal anomalies can meet."""


def _multi(geometry: shapely.Geometry, what: str) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geometry) if isinstance(p, Polygon) and p.area > 0]
    if not parts:
        raise GeometryError(f"{what} is empty; check that the files overlap as expected")
    return MultiPolygon(parts)


def hypothetical_ceasefire(
    line_file: Path,
    occupied_file: Path,
    *,
    effective_from: datetime,
    outline_file: Path | None = None,
    holder: Party = UKRAINE,
    occupier: Party = RUSSIA,
    rest_held_by: str | None = None,
    thermal_fire: bool = True,
    thermal_strategy: str | None = None,
    agreement_id: str = "hypothetical-ceasefire",
    title: str | None = None,
) -> LoadedAgreement:
    """A Minsk II style agreement on a real line, loaded and ready for a `Theatre`.

    `occupied_file` is the area `occupier` holds. With `outline_file` (the country's
    outline), `holder` holds the outline minus the occupied area; without it, `holder` holds
    every point not occupied. `rest_held_by` (a party code) holds the points in no held area:
    by default the occupier with an outline, the holder without one. `thermal_strategy`
    ("same-day" or "retrospective") is written into the agreement's `thermal` section.

    Raises InputError for a time without a UTC offset or an unknown party code, and
    GeometryError for a missing or unusable GeoJSON file.
    """
    if effective_from.utcoffset() is None:
        raise InputError(
            f"effective_from {effective_from.isoformat()} has no UTC offset; give one, "
            "e.g. 2025-09-01T00:00:00+00:00",
            field="effective_from",
        )
    codes = (holder.code, occupier.code)
    if holder.code == occupier.code:
        raise InputError(
            f"holder and occupier are both {holder.code!r}; give two different parties",
            field="occupier",
        )
    rest = rest_held_by or (occupier.code if outline_file is not None else holder.code)
    if rest not in codes:
        raise InputError(
            f"rest_held_by {rest!r} is not one of the parties {list(codes)}", field="rest_held_by"
        )
    line = lines_from_geojson(read_geojson(line_file))
    occupied = areas_from_geojson(read_geojson(occupied_file))
    held: dict[str, MultiPolygon] = {occupier.code: occupied}
    held_files: dict[str, str] = {occupier.code: occupied_file.name}
    if outline_file is not None:
        outline = areas_from_geojson(read_geojson(outline_file))
        held[holder.code] = _multi(
            shapely.difference(outline, occupied), f"{outline_file.name} minus the occupied area"
        )
        held_files[holder.code] = f"{outline_file.name} minus {occupied_file.name}"
    agreement = minsk_style_agreement(
        agreement_id=agreement_id,
        title=title or f"Hypothetical ceasefire along {line_file.name}",
        parties=[holder, occupier],
        line=LineOfContact(file=line_file.name, held_areas=held_files, rest_held_by=rest),
        effective_from=effective_from,
    )
    acts = [
        act.model_copy(update={"kinds": _with_thermal(act.kinds)})
        if thermal_fire and act.code == FIRE_ACT
        else act
        for act in agreement.prohibited_acts
    ]
    document = agreement.model_copy(update={"prohibited_acts": acts}).model_dump(mode="json")
    if thermal_strategy is not None:
        if thermal_strategy not in STRATEGIES:
            raise InputError(
                f"thermal_strategy {thermal_strategy!r} is not one of {list(STRATEGIES)}",
                field="thermal_strategy",
            )
        document["thermal"] = {"strategy": thermal_strategy}
    return LoadedAgreement(Agreement.model_validate(document), line=line, held_areas=held)


def _with_thermal(kinds: Sequence[Kind]) -> list[Kind]:
    return [*kinds, Kind.THERMAL_ANOMALY] if Kind.THERMAL_ANOMALY not in kinds else list(kinds)
