"""A short, JSON-able summary of one agreement version: what `agreement show` prints."""

from __future__ import annotations

from typing import Any

from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from truceline.agreement.documents import agreement_digest
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import BUFFER, withdrawal_zone_id

_WGS84 = Geod(ellps="WGS84")


def length_km(geometry: BaseGeometry) -> float:
    """Geodesic length of a lon/lat line, km."""
    return float(_WGS84.geometry_length(geometry)) / 1000.0


def area_km2(geometry: BaseGeometry) -> float:
    """Geodesic area of a lon/lat area, km²."""
    area, _ = _WGS84.geometry_area_perimeter(geometry)
    return abs(float(area)) / 1e6


def summarise_agreement(loaded: LoadedAgreement) -> dict[str, Any]:
    """Parties, line, zones, rules, permitted activities, threshold and response tiers."""
    a = loaded.agreement
    zones: list[dict[str, Any]] = []
    if a.zones.buffer:
        zones.append({"id": BUFFER, "type": "buffer", "width_km": a.zones.buffer.width_km})
    zones += [
        {
            "id": withdrawal_zone_id(band.weapon_class),
            "type": "withdrawal",
            "width_km": band.width_km,
        }
        for band in a.zones.withdrawal_bands
    ]
    zones += [
        {
            "id": zone.id,
            "type": zone.type,
            "name": zone.name,
            "area_km2": round(area_km2(loaded.exclusions[zone.id]), 1),
            "applies_to": zone.applies_to or [p.code for p in a.parties],
        }
        for zone in a.zones.exclusions
        if zone.id in loaded.exclusions
    ]
    return {
        "id": a.id,
        "version": a.version,
        "title": a.title,
        "effective_from": a.effective_from.isoformat(),
        "amends": a.amends,
        "amendment_note": a.amendment_note,
        "digest": agreement_digest(loaded),
        "parties": [{"code": p.code, "name": p.name} for p in a.parties],
        "line": {
            "parts": len(loaded.line.geoms),
            "length_km": round(length_km(loaded.line), 1),
            "held_areas_km2": {
                code: round(area_km2(area), 1) for code, area in loaded.held_areas.items()
            },
            "rest_held_by": a.line.rest_held_by,
        },
        "zones": zones,
        "prohibited_acts": [
            {
                "code": act.code,
                "title": act.title,
                "kinds": [k.value for k in act.kinds],
                "zones": act.zones,
                "severity": act.severity.value,
            }
            for act in a.prohibited_acts
        ],
        "permitted_activities": [
            {
                "code": act.code,
                "exempts": act.exempts,
                "notice_hours": act.notice_hours,
                "max_duration_hours": act.max_duration_hours,
            }
            for act in a.permitted_activities
        ],
        "clear_breach": a.clear_breach.model_dump(mode="json"),
        "response_protocol": [
            {
                "name": tier.name,
                "deadline_hours": tier.deadline_hours,
                "clear_breach": tier.trigger.clear_breach,
                "min_severity": tier.trigger.min_severity.value,
            }
            for tier in a.response_protocol
        ],
    }
