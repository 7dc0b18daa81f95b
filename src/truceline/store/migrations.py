"""Versioned schema migrations.

Each migration has a version (1, 2, 3, ... with no gaps), a one-line description and a
function that changes the schema through a connection. Opening a store applies the ones it
has not run yet, in order and in one transaction, and records each in `schema_migrations`.

A migration is never edited once released: to change the schema, append a migration and
update `truceline.store.tables` to match what it leaves behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
)

from truceline.errors import StoreError
from truceline.store.codec import to_us
from truceline.store.tables import schema_migrations


@dataclass(frozen=True)
class Migration:
    """One step of the schema: its version, what it does, and the function doing it."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_v1(conn: Connection) -> None:
    """The first schema, frozen as released (the live definitions are in `tables`)."""
    md = MetaData()
    Table(
        "sources",
        md,
        Column("id", String, primary_key=True),
        Column("name", Text, nullable=False),
        Column("operator", Text, nullable=False),
        Column("type", String, nullable=False),
        Column("party", String),
        Column("reliability", String, nullable=False),
        Column("credibility", SmallInteger, nullable=False),
    )
    Table(
        "agreements",
        md,
        Column("agreement_id", String, nullable=False),
        Column("version", Integer, nullable=False),
        Column("digest", String, nullable=False),
        Column("title", Text, nullable=False),
        Column("effective_from_us", BigInteger, nullable=False),
        Column("document", Text, nullable=False),
        PrimaryKeyConstraint("agreement_id", "version"),
    )
    Table(
        "observations",
        md,
        Column("id", String, primary_key=True),
        Column("source_id", String, nullable=False),
        Column("source_ref", Text, nullable=False),
        Column("observed_us", BigInteger, nullable=False),
        Column("time_uncertainty_s", Double, nullable=False),
        Column("half_window_us", BigInteger, nullable=False),
        Column("received_us", BigInteger, nullable=False),
        Column("lon", Double, nullable=False),
        Column("lat", Double, nullable=False),
        Column("location_uncertainty_m", Double, nullable=False),
        Column("domain", String, nullable=False),
        Column("kind", String, nullable=False),
        Column("weapon_class", String),
        Column("calibre_mm", Double),
        Column("reliability", String, nullable=False),
        Column("credibility", SmallInteger, nullable=False),
        Column("attributes", Text),
        Column("evidence", Text),
        Index("ix_observations_time", "observed_us"),
        Index("ix_observations_half_window", "half_window_us"),
        Index("ix_observations_lon_lat", "lon", "lat"),
        Index("ix_observations_source_time", "source_id", "observed_us"),
        Index("ix_observations_kind_time", "kind", "observed_us"),
    )
    Table(
        "incidents",
        md,
        Column("id", String, primary_key=True),
        Column("start_us", BigInteger, nullable=False),
        Column("end_us", BigInteger, nullable=False),
        Column("lon", Double, nullable=False),
        Column("lat", Double, nullable=False),
        Column("location_uncertainty_m", Double, nullable=False),
        Column("domain", String, nullable=False),
        Column("primary_kind", String, nullable=False),
        Column("kinds", Text, nullable=False),
        Column("weapon_class", String),
        Column("calibre_mm", Double),
        Column("source_ids", Text, nullable=False),
        Column("independent_sources", Integer, nullable=False),
        Column("party_reporters", Text, nullable=False),
        Column("confidence", Double, nullable=False),
        Column("attributes", Text, nullable=False),
        Column("observation_ids", Text, nullable=False),
        Index("ix_incidents_start", "start_us"),
        Index("ix_incidents_end", "end_us"),
        Index("ix_incidents_lon_lat", "lon", "lat"),
    )
    Table(
        "incident_observations",
        md,
        Column(
            "incident_id", String, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
        ),
        Column("observation_id", String, nullable=False),
        PrimaryKeyConstraint("incident_id", "observation_id"),
        Index("ix_incident_observations_observation", "observation_id"),
    )
    Table(
        "determinations",
        md,
        Column("id", String, primary_key=True),
        Column(
            "incident_id", String, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
        ),
        Column("agreement_id", String, nullable=False),
        Column("agreement_version", Integer, nullable=False),
        Column("side", String, nullable=False),
        Column("distance_to_line_m", Double, nullable=False),
        Column("signed_distance_m", Double, nullable=False),
        Column("zones", Text, nullable=False),
        Column("rules", Text, nullable=False),
        Column("deconflicted_rules", Text, nullable=False),
        Column("prenotification_ids", Text, nullable=False),
        Column("attributed_to", String),
        Column("attribution_basis", Text, nullable=False),
        Column("severity", String),
        Column("confidence", Double, nullable=False),
        Column("independent_sources", Integer, nullable=False),
        Column("clear_breach", Boolean, nullable=False),
        Column("status", String, nullable=False),
        Column("explanation", Text, nullable=False),
        Index("ix_determinations_incident", "incident_id"),
        Index("ix_determinations_status", "status"),
        Index("ix_determinations_attributed_to", "attributed_to"),
        Index("ix_determinations_side", "side"),
        Index("ix_determinations_agreement", "agreement_id", "agreement_version"),
        Index("ix_determinations_clear_breach", "clear_breach"),
    )
    for link, column in (("determination_zones", "zone"), ("determination_rules", "rule")):
        Table(
            link,
            md,
            Column(
                "determination_id",
                String,
                ForeignKey("determinations.id", ondelete="CASCADE"),
                nullable=False,
            ),
            Column(column, String, nullable=False),
            PrimaryKeyConstraint("determination_id", column),
            Index(f"ix_{link}_{column}", column, "determination_id"),
        )
    Table(
        "prenotifications",
        md,
        Column("id", String, primary_key=True),
        Column("party", String, nullable=False),
        Column("activity", String, nullable=False),
        Column("starts_us", BigInteger, nullable=False),
        Column("ends_us", BigInteger, nullable=False),
        Column("notified_us", BigInteger, nullable=False),
        Column("document", Text, nullable=False),
        Index("ix_prenotifications_party_start", "party", "starts_us"),
        Index("ix_prenotifications_start", "starts_us"),
        Index("ix_prenotifications_end", "ends_us"),
    )
    md.create_all(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sources, agreements, observations, incidents, determinations, pre-notifications",
        _create_v1,
    ),
)
"""Every migration of the store, in order."""

LATEST_VERSION = MIGRATIONS[-1].version


def _check(migrations: Sequence[Migration]) -> None:
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise StoreError(
                f"migration list: expected version {expected} at position {expected}, got "
                f"{migration.version}; versions must run 1, 2, 3, ... without gaps"
            )


def current_version(conn: Connection) -> int:
    """The highest migration recorded in the store, 0 when none is."""
    if not inspect(conn).has_table(schema_migrations.name):
        return 0
    return int(
        conn.execute(select(func.coalesce(func.max(schema_migrations.c.version), 0))).scalar_one()
    )


def migrate(conn: Connection, name: str, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the store forward to the last of `migrations`, inside the caller's (write)
    transaction; returns the resulting version.

    Refuses a store that is not a Truceline store, or one newer than these migrations.
    """
    _check(migrations)
    inspector = inspect(conn)
    if not inspector.has_table(schema_migrations.name):
        others = sorted(inspector.get_table_names())
        if others:
            raise StoreError(
                f"cannot open store {name!r}: it is a database but not a Truceline store (it "
                f"has tables {', '.join(others[:5])} and no schema_migrations); give a new "
                "path or an existing Truceline store"
            )
        schema_migrations.create(conn)
    version = current_version(conn)
    latest = migrations[-1].version if migrations else 0
    if version > latest:
        raise StoreError(
            f"cannot open store {name!r}: its schema version {version} is newer than this "
            f"Truceline knows (up to {latest}); upgrade Truceline to use it"
        )
    for migration in migrations[version:]:
        migration.apply(conn)
        conn.execute(
            schema_migrations.insert().values(
                version=migration.version,
                description=migration.description,
                applied_at_us=to_us(datetime.now(UTC)),
            )
        )
    return max(version, latest)
