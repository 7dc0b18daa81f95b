"""Conversion between the domain models and table rows.

Times become integer microseconds since 1970-01-01 UTC, enums their values, and lists and
mappings JSON text. Reading back gives objects equal to those written.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from truceline.adjudication.determination import Determination
from truceline.agreement.prenotification import PreNotification
from truceline.errors import StoreError
from truceline.fusion.incident import Incident
from truceline.observations.model import (
    Credibility,
    Domain,
    Evidence,
    Kind,
    Observation,
    Reliability,
)
from truceline.sources.registry import Source

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)

_DOMAINS = {d.value: d for d in Domain}
_KINDS = {k.value: k for k in Kind}
_RELIABILITIES = {r.value: r for r in Reliability}
_CREDIBILITIES = {c.value: c for c in Credibility}
# Member -> value by dict lookup: faster than the `.value` property on hot paths.
_DOMAIN_VALUES = {d: d.value for d in Domain}
_KIND_VALUES = {k: k.value for k in Kind}
_RELIABILITY_VALUES = {r: r.value for r in Reliability}
_CREDIBILITY_VALUES = {c: c.value for c in Credibility}

M = TypeVar("M", bound=BaseModel)


def to_us(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime, exactly."""
    return (moment - EPOCH) // _ONE_US


def from_us(micros: int) -> datetime:
    """The UTC datetime of a count of microseconds since 1970-01-01 UTC."""
    return EPOCH + timedelta(microseconds=micros)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are made.

    Building or reading a large batch allocates millions of containers, none of them in
    cycles; the collector's repeated passes over them would double the time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _json_default(value: Any) -> Any:
    to_list = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(to_list):
        return to_list()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"a value of type {type(value).__name__} is not JSON")


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_json_default
)


def dump_json(value: Any, where: str) -> str:
    """JSON text of a value; StoreError naming `where` when it cannot be written."""
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"{where}: cannot be stored as JSON ({exc}); use strings, finite numbers, "
            "booleans, None, lists and mappings with string keys"
        ) from None


def _trusted(cls: type[M], values: dict[str, Any]) -> M:
    """An instance from values read back from the store, which were validated on the way in.

    This is what `BaseModel.model_construct` does, without its per-field bookkeeping; the
    round-trip tests check that the result equals a validated instance.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _validated(cls: type[M], values: Mapping[str, Any], where: str) -> M:
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise StoreError(
            f"{where}: stored row is invalid at field {field!r} ({first['msg']}); the store "
            "was changed outside Truceline or by a newer version"
        ) from None


def _finite(row: dict[str, Any], names: Sequence[str], where: str) -> dict[str, Any]:
    """The row, after checking that these number columns hold finite numbers (or None).

    SQLite would store NaN as NULL and PostgreSQL keep it: refused alike on both.
    """
    for name in names:
        value = row[name]
        if isinstance(value, float) and not math.isfinite(value):
            raise StoreError(f"{where}: {name} is {value}; it must be a finite number to be stored")
    return row


# sources


def source_row(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "operator": source.operator,
        "type": source.type.value,
        "party": source.party,
        "reliability": source.reliability.value,
        "credibility": int(source.credibility),
        "releasability": source.releasability,
        "public_key": source.public_key,
    }


def source_from_row(row: Mapping[str, Any]) -> Source:
    return _validated(Source, row, f"source {row['id']!r}")


# observations

OBSERVATION_COLUMNS = (
    "id",
    "source_id",
    "source_ref",
    "observed_us",
    "time_uncertainty_s",
    "received_us",
    "lon",
    "lat",
    "location_uncertainty_m",
    "domain",
    "kind",
    "weapon_class",
    "calibre_mm",
    "reliability",
    "credibility",
    "attributes",
    "evidence",
    "releasability",
)
"""The observation columns `observation_from_row` reads, in its order."""


def observation_values(obs: Observation) -> tuple[Any, ...]:
    """The row of an observation, in the column order of the observations table."""
    unc = obs.time_uncertainty_s
    attributes = obs.attributes
    evidence = obs.evidence
    return (
        obs.id,
        obs.source_id,
        obs.source_ref,
        (obs.observed_at - EPOCH) // _ONE_US,
        unc,
        math.ceil(unc * 1_000_000),
        (obs.received_at - EPOCH) // _ONE_US,
        obs.lon,
        obs.lat,
        obs.location_uncertainty_m,
        _DOMAIN_VALUES[obs.domain],
        _KIND_VALUES[obs.kind],
        obs.weapon_class,
        obs.calibre_mm,
        _RELIABILITY_VALUES[obs.reliability],
        _CREDIBILITY_VALUES[obs.credibility],
        dump_json(attributes, f"observation {obs.id!r} attributes") if attributes else None,
        dump_json([e.model_dump() for e in evidence], f"observation {obs.id!r} evidence")
        if evidence
        else None,
        obs.releasability,
    )


def observation_from_row(row: Sequence[Any]) -> Observation:
    """An observation from a row of OBSERVATION_COLUMNS."""
    (
        id_,
        source_id,
        source_ref,
        observed_us,
        unc,
        received_us,
        lon,
        lat,
        loc_unc,
        domain,
        kind,
        weapon_class,
        calibre_mm,
        reliability,
        credibility,
        attributes,
        evidence,
        releasability,
    ) = row
    return _trusted(
        Observation,
        {
            "id": id_,
            "source_id": source_id,
            "source_ref": source_ref,
            "observed_at": EPOCH + timedelta(microseconds=observed_us),
            "time_uncertainty_s": unc,
            "received_at": EPOCH + timedelta(microseconds=received_us),
            "lon": lon,
            "lat": lat,
            "location_uncertainty_m": loc_unc,
            "domain": _DOMAINS[domain],
            "kind": _KINDS[kind],
            "weapon_class": weapon_class,
            "calibre_mm": calibre_mm,
            "reliability": _RELIABILITIES[reliability],
            "credibility": _CREDIBILITIES[credibility],
            "attributes": json.loads(attributes) if attributes is not None else {},
            "evidence": tuple(Evidence.model_validate(e) for e in json.loads(evidence))
            if evidence is not None
            else (),
            "releasability": releasability,
        },
    )


# incidents


_INCIDENT_NUMBERS = ("lon", "lat", "location_uncertainty_m", "calibre_mm", "confidence")


def incident_row(incident: Incident) -> dict[str, Any]:
    where = f"incident {incident.id!r}"
    row = {
        "id": incident.id,
        "start_us": to_us(incident.start),
        "end_us": to_us(incident.end),
        "lon": incident.lon,
        "lat": incident.lat,
        "location_uncertainty_m": incident.location_uncertainty_m,
        "domain": incident.domain.value,
        "primary_kind": incident.primary_kind.value,
        "kinds": dump_json([k.value for k in incident.kinds], where),
        "weapon_class": incident.weapon_class,
        "calibre_mm": incident.calibre_mm,
        "source_ids": dump_json(list(incident.source_ids), where),
        "independent_sources": incident.independent_sources,
        "party_reporters": dump_json(list(incident.party_reporters), where),
        "confidence": incident.confidence,
        "attributes": dump_json(incident.attributes, f"{where} attributes"),
        "observation_ids": dump_json(list(incident.observation_ids), where),
    }
    return _finite(row, _INCIDENT_NUMBERS, where)


INCIDENT_JSON_COLUMNS = ("kinds", "source_ids", "party_reporters", "attributes", "observation_ids")


INCIDENT_ACCESS_COLUMNS = ("releasability", "releasability_set")
"""Columns of the incidents table that are not fields of `Incident` (its marking)."""


def incident_from_row(row: Mapping[str, Any]) -> Incident:
    values = dict(row)
    for name in INCIDENT_ACCESS_COLUMNS:
        values.pop(name, None)
    values["start"] = from_us(values.pop("start_us"))
    values["end"] = from_us(values.pop("end_us"))
    for name in INCIDENT_JSON_COLUMNS:
        values[name] = json.loads(values[name])
    return _validated(Incident, values, f"incident {row['id']!r}")


# determinations

DETERMINATION_JSON_COLUMNS = ("zones", "rules", "deconflicted_rules", "prenotification_ids")
_DETERMINATION_NUMBERS = ("distance_to_line_m", "signed_distance_m", "confidence")


def determination_row(det: Determination) -> dict[str, Any]:
    row: dict[str, Any] = det.model_dump(mode="python")
    for name in DETERMINATION_JSON_COLUMNS:
        row[name] = dump_json(list(row[name]), f"determination {det.id!r}")
    row["severity"] = det.severity.value if det.severity is not None else None
    row["status"] = det.status.value
    return _finite(row, _DETERMINATION_NUMBERS, f"determination {det.id!r}")


def determination_from_row(row: Mapping[str, Any]) -> Determination:
    values = dict(row)
    for name in DETERMINATION_JSON_COLUMNS:
        values[name] = json.loads(values[name])
    values["clear_breach"] = bool(values["clear_breach"])
    return _validated(Determination, values, f"determination {row['id']!r}")


# pre-notifications


def prenotification_row(notice: PreNotification) -> dict[str, Any]:
    return {
        "id": notice.id,
        "party": notice.party,
        "activity": notice.activity,
        "starts_us": to_us(notice.starts_at),
        "ends_us": to_us(notice.ends_at),
        "notified_us": to_us(notice.notified_at),
        "document": dump_json(notice.model_dump(mode="json"), f"pre-notification {notice.id!r}"),
    }


def prenotification_from_document(document: str) -> PreNotification:
    try:
        return PreNotification.model_validate_json(document)
    except ValidationError as exc:
        raise StoreError(
            f"pre-notification: stored document is invalid ({exc.errors()[0]['msg']}); the "
            "store was changed outside Truceline or by a newer version"
        ) from None
