"""Builders and hypothesis strategies for the store tests."""

from __future__ import annotations

import csv
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import event

from truceline.adjudication.determination import Determination, Status
from truceline.agreement.model import Severity
from truceline.agreement.prenotification import PreNotification
from truceline.fusion.incident import Incident
from truceline.observations.model import (
    Credibility,
    Domain,
    Evidence,
    Kind,
    Observation,
    Reliability,
)
from truceline.store import Store
from truceline.store.sql_store import SqlStore
from truceline.store.tables import metadata

T0 = datetime(2025, 9, 1, tzinfo=UTC)

FIRMS_DAYS = Path("firms") / "viirs_noaa20_2025"


def observation(i: int, **fields: Any) -> Observation:
    """A plain observation number `i`, one minute after the one before."""
    values: dict[str, Any] = {
        "source_id": "firms-viirs-noaa20",
        "source_ref": f"ref-{i}",
        "observed_at": T0 + timedelta(minutes=i),
        "received_at": T0 + timedelta(minutes=i, seconds=30),
        "lon": 30.0 + (i % 100) * 0.1,
        "lat": 45.0 + (i // 100 % 80) * 0.1,
        "kind": Kind.THERMAL_ANOMALY,
    }
    values.update(fields)
    return Observation(**values)


def without_nul(model: Any) -> bool:
    """Whether a model's text has no NUL character, which PostgreSQL text cannot hold."""
    return "\\u0000" not in model.model_dump_json()


def incident(name: str, observation_ids: tuple[str, ...], **fields: Any) -> Incident:
    """An incident named `name` holding these observations."""
    values: dict[str, Any] = {
        "id": f"inc-{name}",
        "observation_ids": tuple(sorted(observation_ids)),
        "lon": 37.8,
        "lat": 48.0,
        "location_uncertainty_m": 500.0,
        "start": T0,
        "end": T0 + timedelta(minutes=10),
        "domain": Domain.LAND,
        "primary_kind": Kind.EXPLOSION,
        "kinds": (Kind.EXPLOSION,),
        "source_ids": ("uav-1",),
        "independent_sources": 1,
        "confidence": 0.5,
    }
    values.update(fields)
    return Incident(**values)


def determination(incident_id: str, **fields: Any) -> Determination:
    """A determination of one incident under version 1 of agreement 'test'."""
    values: dict[str, Any] = {
        "id": f"det-{incident_id}-v1",
        "incident_id": incident_id,
        "agreement_id": "test",
        "agreement_version": 1,
        "side": "UA",
        "distance_to_line_m": 1200.0,
        "signed_distance_m": 1200.0,
        "zones": ("buffer",),
        "rules": ("CV-FIRE",),
        "attributed_to": "RU",
        "attribution_basis": "fire came from the east",
        "severity": Severity.HIGH,
        "confidence": 0.95,
        "independent_sources": 2,
        "clear_breach": True,
        "status": Status.CLEAR_BREACH,
        "explanation": "An explosion 1.2 km from the line on the Ukrainian-held side.",
    }
    values.update(fields)
    return Determination(**values)


def emptied(store: Store) -> Store:
    """The store with every row deleted (its schema kept), for the next property example."""
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            # The ledger is append-only: it keeps its entries, and its head row with them.
            if table.name not in {"schema_migrations", "ledger", "ledger_head"}:
                conn.execute(table.delete())
    return store


def query_plan(store: Store, call: Callable[[], object]) -> str:
    """The database's plan for the last SELECT that `call` runs on the store, as one string
    (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL)."""
    assert isinstance(store, SqlStore)
    seen: list[tuple[str, Any]] = []

    def remember(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)
    statement, parameters = seen[-1]
    explain = "EXPLAIN QUERY PLAN " if store.engine.dialect.name == "sqlite" else "EXPLAIN "
    with store.engine.connect() as conn:
        steps = conn.exec_driver_sql(explain + statement, parameters).all()
    return "\n".join(str(step[-1]) for step in steps)


def square(lon: float, lat: float, size: float = 0.1) -> dict[str, Any]:
    """A GeoJSON square polygon, as parsed from JSON (lists, not tuples)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def prenotification(name: str, **fields: Any) -> PreNotification:
    values: dict[str, Any] = {
        "id": f"pn-{name}",
        "party": "UA",
        "activity": "DEMINING",
        "area": square(37.5, 48.5),
        "starts_at": T0 + timedelta(days=1),
        "ends_at": T0 + timedelta(days=2),
        "notified_at": T0,
        "description": "Controlled explosions",
    }
    values.update(fields)
    return PreNotification(**values)


def firms_observations(shared_data: Path, days: int) -> list[Observation]:
    """Real NASA FIRMS VIIRS NOAA-20 detections of the first `days` daily files."""
    files = sorted((shared_data / FIRMS_DAYS).glob("*.csv"))[:days]
    out: list[Observation] = []
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                moment = datetime.fromisoformat(f"{row['acq_date']}T{row['acq_time']}+00:00")
                out.append(
                    Observation(
                        source_id="firms-viirs-noaa20",
                        source_ref=f"{row['acq_date']}T{row['acq_time']}/{row['latitude']}/"
                        f"{row['longitude']}",
                        observed_at=moment,
                        time_uncertainty_s=300.0,
                        received_at=moment + timedelta(hours=3),
                        lon=float(row["longitude"]),
                        lat=float(row["latitude"]),
                        location_uncertainty_m=375.0,
                        kind=Kind.THERMAL_ANOMALY,
                        reliability=Reliability.B,
                        credibility=Credibility.POSSIBLY_TRUE,
                        attributes={
                            "frp": float(row["frp"]),
                            "bright_ti4": float(row["bright_ti4"]),
                            "confidence": row["confidence"],
                            "daynight": row["daynight"],
                        },
                    )
                )
    return out


# hypothesis strategies

_LETTERS = string.ascii_letters + string.digits + "-_.:/ éЇ中"
texts = st.text(alphabet=_LETTERS, min_size=1, max_size=20).filter(lambda s: s.strip() != "")
codes = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=12)
party_codes = st.from_regex(r"[A-Z][A-Z0-9_-]{0,5}", fullmatch=True)
moments = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]),
)
finite = st.floats(allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0.0, max_value=1.0)
sha256s = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)
attribute_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    finite,
    st.text(max_size=30),
)
json_values = st.recursive(
    attribute_values,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

observations = st.builds(
    Observation,
    source_id=texts,
    source_ref=texts,
    observed_at=moments,
    time_uncertainty_s=st.floats(min_value=0.0, max_value=86_400 * 31),
    received_at=moments,
    lon=st.floats(min_value=-180.0, max_value=180.0),
    lat=st.floats(min_value=-90.0, max_value=90.0),
    location_uncertainty_m=st.floats(min_value=0.0, max_value=500_000.0),
    domain=st.sampled_from(Domain),
    kind=st.sampled_from(Kind),
    weapon_class=st.none() | texts,
    calibre_mm=st.none() | st.floats(min_value=0.0, max_value=1000.0, exclude_min=True),
    reliability=st.sampled_from(Reliability),
    credibility=st.sampled_from(Credibility),
    attributes=st.dictionaries(texts, attribute_values, max_size=4),
    evidence=st.lists(st.builds(Evidence, uri=texts, sha256=sha256s), max_size=2).map(tuple),
)

incidents = st.builds(
    Incident,
    id=texts,
    observation_ids=st.lists(texts, max_size=4).map(tuple),
    lon=st.floats(min_value=-180.0, max_value=180.0),
    lat=st.floats(min_value=-90.0, max_value=90.0),
    location_uncertainty_m=st.floats(min_value=0.0, max_value=1e6),
    start=moments,
    end=moments,
    domain=st.sampled_from(Domain),
    primary_kind=st.sampled_from(Kind),
    kinds=st.lists(st.sampled_from(Kind), max_size=3).map(tuple),
    weapon_class=st.none() | texts,
    calibre_mm=st.none() | st.floats(min_value=0.0, max_value=1000.0, exclude_min=True),
    source_ids=st.lists(texts, max_size=3).map(tuple),
    independent_sources=st.integers(min_value=0, max_value=50),
    party_reporters=st.lists(party_codes, max_size=2).map(tuple),
    confidence=unit,
    attributes=st.dictionaries(st.text(max_size=10), json_values, max_size=4),
)


def determinations_of(incident_ids: list[str]) -> st.SearchStrategy[Determination]:
    """Determinations of one of these (stored) incidents."""
    return st.builds(
        Determination,
        id=texts,
        incident_id=st.sampled_from(incident_ids),
        agreement_id=codes,
        agreement_version=st.integers(min_value=1, max_value=5),
        side=party_codes,
        distance_to_line_m=st.floats(min_value=0.0, max_value=1e7),
        signed_distance_m=st.floats(min_value=-1e7, max_value=1e7),
        zones=st.lists(codes, max_size=3).map(tuple),
        rules=st.lists(codes, max_size=3).map(tuple),
        deconflicted_rules=st.lists(codes, max_size=2).map(tuple),
        prenotification_ids=st.lists(texts, max_size=2).map(tuple),
        attributed_to=st.none() | party_codes,
        attribution_basis=st.text(max_size=40),
        severity=st.none() | st.sampled_from(Severity),
        confidence=unit,
        independent_sources=st.integers(min_value=0, max_value=20),
        clear_breach=st.booleans(),
        status=st.sampled_from(Status),
        explanation=st.text(max_size=60),
    )


@st.composite
def prenotifications(draw: st.DrawFn) -> PreNotification:
    start = draw(moments)
    lon = draw(st.floats(min_value=-179.0, max_value=179.0))
    lat = draw(st.floats(min_value=-89.0, max_value=89.0))
    return PreNotification(
        id=draw(texts),
        party=draw(party_codes),
        activity=draw(codes),
        area=square(lon, lat, draw(st.floats(min_value=1e-6, max_value=1.0))),
        starts_at=start,
        ends_at=start
        + draw(st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=30))),
        notified_at=draw(moments),
        description=draw(st.text(max_size=50)),
    )
