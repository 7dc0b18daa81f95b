"""Where each incident lies: side, distance to the line, direction from it, zones."""

from __future__ import annotations

from dataclasses import dataclass

from truceline.adjudication.theatre_port import FloatArray, TheatreGeometry
from truceline.agreement.model import Agreement
from truceline.errors import GeometryError
from truceline.geometry.geodesic import compass_direction

ON_THE_LINE_M = 50.0
"""Closer than this to the line, an incident is said to be 'on the line' (it rounds to 0.0 km)."""


@dataclass(frozen=True)
class LocationFacts:
    """Where one incident lies, relative to the line and the zones of the agreement."""

    side: str
    """Code of the party holding the location."""
    side_index: int
    """Index of that party in `agreement.parties`."""
    distance_to_line_m: float
    signed_distance_m: float
    zones: tuple[str, ...]
    """Zone ids the location lies in, sorted."""
    direction_from_line: str | None
    """Compass word of the bearing from the nearest point of the line; None on the line."""


def locate_incidents(
    theatre: TheatreGeometry, agreement: Agreement, lon: FloatArray, lat: FloatArray
) -> list[LocationFacts]:
    """Location facts of every point, each geometry question asked once for all points."""
    if lon.size == 0:
        return []
    measured = theatre.measure(lon, lat)
    sides, distance = measured.side, measured.distance_m
    signed, azimuth = measured.signed_distance_m, measured.bearing_from_line_deg
    membership = theatre.zone_membership(lon, lat)
    codes = [party.code for party in agreement.parties]
    if sides.size and (int(sides.min()) < 0 or int(sides.max()) >= len(codes)):
        raise GeometryError(
            f"the theatre returned a side index outside 0..{len(codes) - 1}: it was built for "
            "another agreement; build the Theatre from the same LoadedAgreement"
        )
    zone_ids = membership.zone_ids
    if tuple(zone_ids) != tuple(agreement.zone_ids):
        raise GeometryError(
            f"the theatre's zones {list(zone_ids)} are not those of agreement {agreement.id} "
            f"version {agreement.version} ({agreement.zone_ids}); build the Theatre from the "
            "same LoadedAgreement"
        )
    facts: list[LocationFacts] = []
    for i in range(lon.size):
        row = membership.matrix[i]
        row_zones = [zone for zone, inside in zip(zone_ids, row.tolist(), strict=True) if inside]
        far = float(distance[i]) >= ON_THE_LINE_M
        facts.append(
            LocationFacts(
                side=codes[int(sides[i])],
                side_index=int(sides[i]),
                distance_to_line_m=float(distance[i]),
                signed_distance_m=float(signed[i]),
                zones=tuple(sorted(row_zones)),
                direction_from_line=compass_direction(float(azimuth[i])) if far else None,
            )
        )
    return facts
