"""The current tables of the store, as SQLAlchemy Core objects used by the queries.

The schema itself is made by the migrations (`truceline.store.migrations`); these
definitions describe what the latest migration leaves behind, and a test keeps the two in
step. Times are integer microseconds since 1970-01-01 UTC (columns ending in `_us`); lists
and mappings are JSON text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
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
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at_us", BigInteger, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("type", String, nullable=False),
    Column("party", String),
    Column("reliability", String, nullable=False),
    Column("credibility", SmallInteger, nullable=False),
)

agreements = Table(
    "agreements",
    metadata,
    Column("agreement_id", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("effective_from_us", BigInteger, nullable=False),
    Column("document", Text, nullable=False),
    PrimaryKeyConstraint("agreement_id", "version"),
)

observations = Table(
    "observations",
    metadata,
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

incidents = Table(
    "incidents",
    metadata,
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

incident_observations = Table(
    "incident_observations",
    metadata,
    Column("incident_id", String, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("observation_id", String, nullable=False),
    PrimaryKeyConstraint("incident_id", "observation_id"),
    Index("ix_incident_observations_observation", "observation_id"),
)

determinations = Table(
    "determinations",
    metadata,
    Column("id", String, primary_key=True),
    Column("incident_id", String, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
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

determination_zones = Table(
    "determination_zones",
    metadata,
    Column(
        "determination_id",
        String,
        ForeignKey("determinations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("zone", String, nullable=False),
    PrimaryKeyConstraint("determination_id", "zone"),
    Index("ix_determination_zones_zone", "zone", "determination_id"),
)

determination_rules = Table(
    "determination_rules",
    metadata,
    Column(
        "determination_id",
        String,
        ForeignKey("determinations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("rule", String, nullable=False),
    PrimaryKeyConstraint("determination_id", "rule"),
    Index("ix_determination_rules_rule", "rule", "determination_id"),
)

prenotifications = Table(
    "prenotifications",
    metadata,
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
