"""The current tables of the store, as SQLAlchemy Core objects used by the queries.

The schema itself is made by the migrations (`truceline.store.migrations`); these
definitions describe what the latest migration leaves behind, and a test keeps the two in
step. Times are integer microseconds since 1970-01-01 UTC (columns ending in `_us`); lists
and mappings are JSON text. Identifiers and codes are `CODE` (VARCHAR, byte-ordered on
PostgreSQL). On PostgreSQL, `observations` and `incidents` also have a PostGIS point column
`geom`, made from `lon` and `lat` by the database (see `truceline.store.dialect`).

The tables of access (migration 2) are at the end: organisations, users, their roles, API
tokens, and the audiences of each releasability marking in use (see `truceline.access`).
After them, the cell's workflow (migration 3): review actions, alert messages, members'
responses and receipts of pre-notifications, each appended and never changed.
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
    Table,
    Text,
)

from truceline.store.dialect import CODE

CELL = "cell"
"""The releasability of rows that do not say otherwise: the coordination cell only."""

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
    Column("id", CODE, primary_key=True),
    Column("name", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("type", CODE, nullable=False),
    Column("party", CODE),
    Column("reliability", CODE, nullable=False),
    Column("credibility", SmallInteger, nullable=False),
    Column("releasability", CODE),
    Column("public_key", Text),
)

agreements = Table(
    "agreements",
    metadata,
    Column("agreement_id", CODE, nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", CODE, nullable=False),
    Column("title", Text, nullable=False),
    Column("effective_from_us", BigInteger, nullable=False),
    Column("document", Text, nullable=False),
    PrimaryKeyConstraint("agreement_id", "version"),
)

observations = Table(
    "observations",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("source_id", CODE, nullable=False),
    Column("source_ref", Text, nullable=False),
    Column("observed_us", BigInteger, nullable=False),
    Column("time_uncertainty_s", Double, nullable=False),
    Column("half_window_us", BigInteger, nullable=False),
    Column("received_us", BigInteger, nullable=False),
    Column("lon", Double, nullable=False),
    Column("lat", Double, nullable=False),
    Column("location_uncertainty_m", Double, nullable=False),
    Column("domain", CODE, nullable=False),
    Column("kind", CODE, nullable=False),
    Column("weapon_class", CODE),
    Column("calibre_mm", Double),
    Column("reliability", CODE, nullable=False),
    Column("credibility", SmallInteger, nullable=False),
    Column("attributes", Text),
    Column("evidence", Text),
    Column("releasability", CODE, nullable=False, server_default=CELL),
    Index("ix_observations_time", "observed_us"),
    Index("ix_observations_half_window", "half_window_us"),
    Index("ix_observations_lon_lat", "lon", "lat"),
    Index("ix_observations_source_time", "source_id", "observed_us"),
    Index("ix_observations_kind_time", "kind", "observed_us"),
    Index("ix_observations_releasability", "releasability"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("start_us", BigInteger, nullable=False),
    Column("end_us", BigInteger, nullable=False),
    Column("lon", Double, nullable=False),
    Column("lat", Double, nullable=False),
    Column("location_uncertainty_m", Double, nullable=False),
    Column("domain", CODE, nullable=False),
    Column("primary_kind", CODE, nullable=False),
    Column("kinds", Text, nullable=False),
    Column("weapon_class", CODE),
    Column("calibre_mm", Double),
    Column("source_ids", Text, nullable=False),
    Column("independent_sources", Integer, nullable=False),
    Column("party_reporters", Text, nullable=False),
    Column("confidence", Double, nullable=False),
    Column("attributes", Text, nullable=False),
    Column("observation_ids", Text, nullable=False),
    Column("releasability", CODE, nullable=False, server_default=CELL),
    Column("releasability_set", CODE),
    Index("ix_incidents_start", "start_us"),
    Index("ix_incidents_end", "end_us"),
    Index("ix_incidents_lon_lat", "lon", "lat"),
    Index("ix_incidents_releasability", "releasability"),
)

incident_observations = Table(
    "incident_observations",
    metadata,
    Column("incident_id", CODE, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("observation_id", CODE, nullable=False),
    PrimaryKeyConstraint("incident_id", "observation_id"),
    Index("ix_incident_observations_observation", "observation_id"),
)

determinations = Table(
    "determinations",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("incident_id", CODE, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("agreement_id", CODE, nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("side", CODE, nullable=False),
    Column("distance_to_line_m", Double, nullable=False),
    Column("signed_distance_m", Double, nullable=False),
    Column("zones", Text, nullable=False),
    Column("rules", Text, nullable=False),
    Column("deconflicted_rules", Text, nullable=False),
    Column("prenotification_ids", Text, nullable=False),
    Column("attributed_to", CODE),
    Column("attribution_basis", Text, nullable=False),
    Column("severity", CODE),
    Column("confidence", Double, nullable=False),
    Column("independent_sources", Integer, nullable=False),
    Column("clear_breach", Boolean, nullable=False),
    Column("status", CODE, nullable=False),
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
        CODE,
        ForeignKey("determinations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("zone", CODE, nullable=False),
    PrimaryKeyConstraint("determination_id", "zone"),
    Index("ix_determination_zones_zone", "zone", "determination_id"),
)

determination_rules = Table(
    "determination_rules",
    metadata,
    Column(
        "determination_id",
        CODE,
        ForeignKey("determinations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("rule", CODE, nullable=False),
    PrimaryKeyConstraint("determination_id", "rule"),
    Index("ix_determination_rules_rule", "rule", "determination_id"),
)

prenotifications = Table(
    "prenotifications",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("party", CODE, nullable=False),
    Column("activity", CODE, nullable=False),
    Column("starts_us", BigInteger, nullable=False),
    Column("ends_us", BigInteger, nullable=False),
    Column("notified_us", BigInteger, nullable=False),
    Column("document", Text, nullable=False),
    Index("ix_prenotifications_party_start", "party", "starts_us"),
    Index("ix_prenotifications_start", "starts_us"),
    Index("ix_prenotifications_end", "ends_us"),
)


# access (migration 2): who may read what

organisations = Table(
    "organisations",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", CODE, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("organisation_id", CODE, ForeignKey("organisations.id"), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Index("ix_users_organisation", "organisation_id"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", CODE, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", CODE, nullable=False),
    PrimaryKeyConstraint("user_id", "role"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("user_id", CODE, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("label", Text),
    Column("salt", CODE, nullable=False),
    Column("digest", CODE, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger),
    Column("revoked_us", BigInteger),
    Index("ix_api_tokens_user", "user_id"),
)

releasability_audiences = Table(
    "releasability_audiences",
    metadata,
    Column("marking", CODE, nullable=False),
    Column("audience", CODE, nullable=False),
    PrimaryKeyConstraint("marking", "audience"),
    Index("ix_releasability_audiences_audience", "audience", "marking"),
)


# the cell's workflow (migration 3): append-only records of review, alerts and responses

review_actions = Table(
    "review_actions",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("incident_id", CODE, nullable=False),
    Column("actor", CODE, nullable=False),
    Column("actor_org", CODE, nullable=False),
    Column("role", CODE, nullable=False),
    Column("action", CODE, nullable=False),
    Column("reason", Text),
    Column("payload", Text, nullable=False),
    Column("into_incident", CODE),
    Column("at_us", BigInteger, nullable=False),
    Index("ix_review_actions_incident", "incident_id", "at_us"),
    Index("ix_review_actions_into", "into_incident"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("identifier", CODE, primary_key=True),
    Column("thread", CODE, nullable=False),
    Column("incident_id", CODE, nullable=False),
    Column("determination_id", CODE, nullable=False),
    Column("msg_type", CODE, nullable=False),
    Column("status", CODE, nullable=False),
    Column("sent_us", BigInteger, nullable=False),
    Column("scope", CODE, nullable=False),
    Column("releasability", CODE, nullable=False),
    Column("members", Text, nullable=False),
    Column("xml", Text, nullable=False),
    Column("document", Text, nullable=False),
    Index("ix_alerts_thread", "thread", "sent_us"),
    Index("ix_alerts_incident", "incident_id"),
    Index("ix_alerts_sent", "sent_us"),
    Index("ix_alerts_releasability", "releasability"),
)

responses = Table(
    "responses",
    metadata,
    Column("id", CODE, primary_key=True),
    Column("alert", CODE, nullable=False),
    Column("member", CODE, nullable=False),
    Column("kind", CODE, nullable=False),
    Column("tier", Text),
    Column("text", Text, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("actor", CODE, nullable=False),
    Index("ix_responses_alert", "alert", "at_us"),
)

prenotification_receipts = Table(
    "prenotification_receipts",
    metadata,
    Column("notice_id", CODE, nullable=False),
    Column("receiver", CODE, nullable=False),
    Column("received_us", BigInteger, nullable=False),
    Column("actor", CODE, nullable=False),
    Column("actor_org", CODE, nullable=False),
    PrimaryKeyConstraint("notice_id", "receiver"),
    Index("ix_prenotification_receipts_receiver", "receiver", "received_us"),
)

ledger = Table(
    "ledger",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", CODE, nullable=False),
    Column("record_id", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("payload_sha256", CODE, nullable=False),
    Column("prev_sha256", CODE, nullable=False),
    Column("entry_sha256", CODE, nullable=False),
    Index("ix_ledger_record", "kind", "record_id", "seq"),
)
"""The evidence ledger (migration 4): append-only, see `truceline.ledger`."""

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("entry_sha256", CODE, nullable=False),
)
"""One row (id 1): the last entry's sequence number and hash; locked by each append."""
