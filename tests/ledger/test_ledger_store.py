"""The ledger in the store, on SQLite and PostgreSQL: every change makes its entries in the
same transaction, nothing changes an entry, and verification names what was tampered with."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from tests.store.store_helpers import determination, incident, observation, prenotification

from truceline.errors import StoreError
from truceline.ledger.verify import verify_store
from truceline.sources.registry import Source
from truceline.store import Store, open_store
from truceline.store import tables as t
from truceline.store.sql_store import SqlStore


def _sql(store: Store) -> SqlStore:
    assert isinstance(store, SqlStore)
    return store


def _kinds(store: SqlStore) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.ledger.c.kind, t.ledger.c.record_id).order_by(t.ledger.c.seq))
        return [(str(k), str(r)) for k, r in rows]


def _fill(store: SqlStore) -> None:
    store.upsert_sources(
        [
            Source(
                id="s1",
                name="Drone one",
                operator="cell",
                type="uav",
                reliability="B",
                credibility=2,
            )
        ]
    )
    store.add_observations([observation(i) for i in range(5)])
    obs_ids = tuple(o.id for o in [observation(i) for i in range(5)])
    store.replace_incidents([], [incident("a", obs_ids[:3]), incident("b", obs_ids[3:])])
    store.put_determinations([determination("inc-a")])
    store.add_prenotification(prenotification("n1"))


def _untrigger(store: SqlStore) -> None:
    """What someone with write access to the database could do: drop the protection."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE ledger DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER ledger_no_update"))
            conn.execute(text("DROP TRIGGER ledger_no_delete"))


def test_every_change_makes_entries_and_the_store_verifies(store_target: str) -> None:
    with open_store(store_target) as opened:
        store = _sql(opened)
        _fill(store)
        # Adding the same observations again makes no entry; a replaced incident does.
        store.add_observations([observation(i) for i in range(5)])
        store.replace_incidents(["inc-b"], [])
        store.set_incident_releasability("inc-a", "public")
        kinds = _kinds(store)
        assert kinds[0] == ("source", "s1")
        assert sum(k == "observation_accepted" for k, _ in kinds) == 5
        assert ("incidents_replaced", "inc-b") in kinds
        assert ("determination", "det-inc-a-v1") in kinds
        assert ("prenotification", "notice-n1") in kinds or any(
            k == "prenotification" for k, _ in kinds
        )
        assert kinds[-1] == ("incidents_replaced", "inc-a")
        result = verify_store(store.engine)
        assert result.ok, result.problems
        assert result.entries == len(kinds)
        # The removed incident is recorded as removed, not missing.
        assert not any("inc-b" in p for p in result.problems)


def test_a_failing_change_leaves_no_entry(store_target: str) -> None:
    with open_store(store_target) as opened:
        store = _sql(opened)
        store.add_observations([observation(1)])
        before = _kinds(store)
        with pytest.raises(StoreError, match="not stored"):
            store.put_determinations([determination("inc-missing")])
        assert _kinds(store) == before
        assert verify_store(store.engine).ok


def test_update_and_delete_of_the_ledger_are_refused(store_target: str) -> None:
    with open_store(store_target) as opened:
        store = _sql(opened)
        store.add_observations([observation(1)])
        for statement in ("UPDATE ledger SET kind = 'source'", "DELETE FROM ledger"):
            with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
                conn.execute(text(statement))
        assert len(_kinds(store)) == 1


def test_a_flipped_byte_in_a_ledger_payload_is_named(store_target: str) -> None:
    with open_store(store_target) as opened:
        store = _sql(opened)
        _fill(store)
        _untrigger(store)
        with store.engine.begin() as conn:
            seq = conn.execute(
                select(t.ledger.c.seq).where(t.ledger.c.record_id == observation(2).id)
            ).scalar_one()
            conn.execute(
                text(
                    "UPDATE ledger SET payload = replace(payload, 'ref-2', 'ref-3') WHERE seq = :s"
                ),
                {"s": seq},
            )
        result = verify_store(store.engine)
        assert not result.ok
        assert result.problems[0] == (
            f"ledger entry {seq} (observation {observation(2).id}): payload hash does not match"
        )


def test_a_flipped_byte_in_an_observation_row_is_named(store_target: str) -> None:
    with open_store(store_target) as opened:
        store = _sql(opened)
        _fill(store)
        target = observation(4).id
        with store.engine.begin() as conn:
            conn.execute(
                text("UPDATE observations SET lat = lat + 0.0000001 WHERE id = :i"), {"i": target}
            )
        result = verify_store(store.engine)
        assert not result.ok
        assert result.problems[0].startswith(f"observation {target}: the stored row does not match")


def test_a_deleted_incident_and_a_removed_entry_are_named(store_target: str) -> None:
    with open_store(store_target) as opened:
        store = _sql(opened)
        _fill(store)
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM incident_observations WHERE incident_id = 'inc-b'"))
            conn.execute(text("DELETE FROM incidents WHERE id = 'inc-b'"))
        result = verify_store(store.engine)
        assert any(
            p.startswith("incident inc-b: recorded by ledger entry") for p in result.problems
        )
        _untrigger(store)
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM ledger WHERE seq = 3"))
        result = verify_store(store.engine)
        assert "expected sequence number 3" in result.problems[0]


def test_a_byte_flipped_in_the_sqlite_file_is_found(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with open_store(path) as opened:
        store = _sql(opened)
        store.add_observations([observation(i, source_ref=f"unique-marker-{i}") for i in range(3)])
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = bytearray(path.read_bytes())
    # The canonical JSON of the observation exists only in the ledger's payload.
    needle = b'"source_ref":"unique-marker-1"'
    at = raw.find(needle)
    assert at > 0
    assert raw.find(needle, at + 1) == -1
    raw[at + len(needle) - 2] ^= 0x01  # "1" -> "0"
    path.write_bytes(bytes(raw))
    with open_store(path) as opened:
        result = verify_store(_sql(opened).engine)
    assert not result.ok
    assert "payload hash does not match" in result.problems[0]
    assert observation(1, source_ref="unique-marker-1").id in result.problems[0]


def test_threads_appending_at_once_never_fork_the_chain(store_target: str) -> None:
    with open_store(store_target) as opened:
        store = _sql(opened)
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for k in range(5):
                    base = n * 1000 + k * 10
                    store.add_observations([observation(base + j) for j in range(3)])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with store.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(t.ledger)).scalar_one()
        assert count == 4 * 5 * 3 == store.observation_count()
        assert verify_store(store.engine).ok
