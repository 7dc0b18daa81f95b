"""Versioned schema migrations.

Each migration has a version (1, 2, 3, ... with no gaps), a one-line description and a
function that changes the schema through a connection. Opening a store applies the ones it
has not run yet, in order and in one transaction, and records each in `schema_migrations`.

The same migrations run on SQLite and on PostgreSQL: they are written with SQLAlchemy's
portable types (and `CODE` for identifiers); what only one backend needs (PostGIS point
columns) is a call into `truceline.store.dialect` that does nothing on the other.

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
    Table,
    Text,
    func,
    select,
    text,
)

from truceline.errors import StoreError
from truceline.store.codec import to_us
from truceline.store.dialect import (
    CODE,
    POINT_TABLES,
    add_point_column,
    drop_point_column,
    table_names,
)
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
        Column("id", CODE, primary_key=True),
        Column("name", Text, nullable=False),
        Column("operator", Text, nullable=False),
        Column("type", CODE, nullable=False),
        Column("party", CODE),
        Column("reliability", CODE, nullable=False),
        Column("credibility", SmallInteger, nullable=False),
    )
    Table(
        "agreements",
        md,
        Column("agreement_id", CODE, nullable=False),
        Column("version", Integer, nullable=False),
        Column("digest", CODE, nullable=False),
        Column("title", Text, nullable=False),
        Column("effective_from_us", BigInteger, nullable=False),
        Column("document", Text, nullable=False),
        PrimaryKeyConstraint("agreement_id", "version"),
    )
    Table(
        "observations",
        md,
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
        Index("ix_observations_time", "observed_us"),
        Index("ix_observations_half_window", "half_window_us"),
        Index("ix_observations_lon_lat", "lon", "lat"),
        Index("ix_observations_source_time", "source_id", "observed_us"),
        Index("ix_observations_kind_time", "kind", "observed_us"),
    )
    Table(
        "incidents",
        md,
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
        Index("ix_incidents_start", "start_us"),
        Index("ix_incidents_end", "end_us"),
        Index("ix_incidents_lon_lat", "lon", "lat"),
    )
    Table(
        "incident_observations",
        md,
        Column("incident_id", CODE, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        Column("observation_id", CODE, nullable=False),
        PrimaryKeyConstraint("incident_id", "observation_id"),
        Index("ix_incident_observations_observation", "observation_id"),
    )
    Table(
        "determinations",
        md,
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
    for link, column in (("determination_zones", "zone"), ("determination_rules", "rule")):
        Table(
            link,
            md,
            Column(
                "determination_id",
                CODE,
                ForeignKey("determinations.id", ondelete="CASCADE"),
                nullable=False,
            ),
            Column(column, CODE, nullable=False),
            PrimaryKeyConstraint("determination_id", column),
            Index(f"ix_{link}_{column}", column, "determination_id"),
        )
    Table(
        "prenotifications",
        md,
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
    md.create_all(conn, checkfirst=False)
    for table in POINT_TABLES:  # PostgreSQL only: PostGIS points and their GiST indexes
        add_point_column(conn, table)


def _add_access_v2(conn: Connection) -> None:
    """Access, as released: organisations, users, roles, API tokens; the releasability of
    observations and incidents (existing rows: the cell only), a source's default
    releasability, and the audiences of each marking in use. Seeds the public organisation.
    """
    code = CODE.compile(dialect=conn.dialect)
    for table in POINT_TABLES:  # PostgreSQL: the point stays the last column
        drop_point_column(conn, table)
    for statement in (
        f"ALTER TABLE sources ADD COLUMN releasability {code}",
        f"ALTER TABLE observations ADD COLUMN releasability {code} NOT NULL DEFAULT 'cell'",
        f"ALTER TABLE incidents ADD COLUMN releasability {code} NOT NULL DEFAULT 'cell'",
        f"ALTER TABLE incidents ADD COLUMN releasability_set {code}",
        "CREATE INDEX ix_observations_releasability ON observations (releasability)",
        "CREATE INDEX ix_incidents_releasability ON incidents (releasability)",
    ):
        conn.execute(text(statement))
    for table in POINT_TABLES:
        add_point_column(conn, table)
    md = MetaData()
    organisations = Table(
        "organisations",
        md,
        Column("id", CODE, primary_key=True),
        Column("name", Text, nullable=False),
        Column("kind", CODE, nullable=False),
        Column("created_us", BigInteger, nullable=False),
    )
    Table(
        "users",
        md,
        Column("id", CODE, primary_key=True),
        Column("organisation_id", CODE, ForeignKey("organisations.id"), nullable=False),
        Column("display_name", Text, nullable=False),
        Column("created_us", BigInteger, nullable=False),
        Index("ix_users_organisation", "organisation_id"),
    )
    Table(
        "user_roles",
        md,
        Column("user_id", CODE, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        Column("role", CODE, nullable=False),
        PrimaryKeyConstraint("user_id", "role"),
    )
    Table(
        "api_tokens",
        md,
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
    Table(
        "releasability_audiences",
        md,
        Column("marking", CODE, nullable=False),
        Column("audience", CODE, nullable=False),
        PrimaryKeyConstraint("marking", "audience"),
        Index("ix_releasability_audiences_audience", "audience", "marking"),
    )
    md.create_all(conn, checkfirst=False)
    conn.execute(
        organisations.insert().values(
            id="PUBLIC", name="The public", kind="public", created_us=to_us(datetime.now(UTC))
        )
    )


def _add_workflow_v3(conn: Connection) -> None:
    """The cell's workflow, as released: review actions, alert messages, members'
    responses and receipts of pre-notifications. Every table is append-only."""
    md = MetaData()
    Table(
        "review_actions",
        md,
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
    Table(
        "alerts",
        md,
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
    Table(
        "responses",
        md,
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
    Table(
        "prenotification_receipts",
        md,
        Column("notice_id", CODE, nullable=False),
        Column("receiver", CODE, nullable=False),
        Column("received_us", BigInteger, nullable=False),
        Column("actor", CODE, nullable=False),
        Column("actor_org", CODE, nullable=False),
        PrimaryKeyConstraint("notice_id", "receiver"),
        Index("ix_prenotification_receipts_receiver", "receiver", "received_us"),
    )
    md.create_all(conn, checkfirst=False)


def _add_ledger_v4(conn: Connection) -> None:
    """The evidence ledger, as released: hash-chained entries, appended in the transaction
    of each change and never changed (triggers refuse UPDATE and DELETE), and the head row
    that serialises appends."""
    md = MetaData()
    Table(
        "ledger",
        md,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("kind", CODE, nullable=False),
        Column("record_id", Text, nullable=False),
        Column("payload", Text, nullable=False),
        Column("payload_sha256", CODE, nullable=False),
        Column("prev_sha256", CODE, nullable=False),
        Column("entry_sha256", CODE, nullable=False),
        Index("ix_ledger_record", "kind", "record_id", "seq"),
    )
    head = Table(
        "ledger_head",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, nullable=False),
        Column("entry_sha256", CODE, nullable=False),
    )
    md.create_all(conn, checkfirst=False)
    conn.execute(head.insert().values(id=1, seq=0, entry_sha256="0" * 64))
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'the ledger is append-only: % refused', TG_OP; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger "
                "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
            )
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            conn.execute(
                text(
                    f"CREATE TRIGGER ledger_no_{operation.lower()} BEFORE {operation} ON ledger "
                    "BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: "
                    f"{operation} refused'); END"
                )
            )


def _add_source_keys_v5(conn: Connection) -> None:
    """A source's Ed25519 public key (PEM or base64): its observations must be signed."""
    conn.execute(text("ALTER TABLE sources ADD COLUMN public_key TEXT"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sources, agreements, observations, incidents, determinations, pre-notifications",
        _create_v1,
    ),
    Migration(
        2,
        "organisations, users, API tokens; releasability of observations and incidents",
        _add_access_v2,
    ),
    Migration(
        3,
        "review actions, alerts, responses, receipts of pre-notifications",
        _add_workflow_v3,
    ),
    Migration(4, "the evidence ledger (append-only, hash-chained)", _add_ledger_v4),
    Migration(5, "public keys of sources (signed submissions)", _add_source_keys_v5),
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


def current_version(conn: Connection, schema: str | None = None) -> int:
    """The highest migration recorded in the store (in `schema` on PostgreSQL), 0 when none
    is."""
    if schema_migrations.name not in table_names(conn, schema):
        return 0
    return int(
        conn.execute(select(func.coalesce(func.max(schema_migrations.c.version), 0))).scalar_one()
    )


def migrate(
    conn: Connection,
    name: str,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    schema: str | None = None,
    create: bool = True,
) -> int:
    """Bring the store forward to the last of `migrations`, inside the caller's (write)
    transaction; returns the resulting version.

    `schema` is the PostgreSQL schema holding the store (None on SQLite). Refuses a database
    that is not a Truceline store, one newer than these migrations, and, unless `create`,
    one that holds no store yet.
    """
    _check(migrations)
    tables = table_names(conn, schema)
    if schema_migrations.name not in tables:
        where = f"schema {schema!r}" if schema is not None else "it"
        if tables:
            raise StoreError(
                f"cannot open store {name!r}: {where} is not a Truceline store (it has tables "
                f"{', '.join(tables[:5])} and no schema_migrations); give a new path, a new "
                "schema or an existing Truceline store"
            )
        if not create:
            raise StoreError(
                f"no store at {name!r}: {where} holds no Truceline store yet; check --db, or "
                "create the store with 'truceline ingest' or 'truceline demo'"
            )
        schema_migrations.create(conn, checkfirst=False)
    version = current_version(conn, schema)
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
