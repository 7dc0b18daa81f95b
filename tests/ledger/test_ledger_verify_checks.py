"""`truceline verify` also checks source signatures and evidence files, naming what broke."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from truceline.cli.app import app
from truceline.ledger.evidence import EvidenceStore, evidence_dir_for
from truceline.ledger.signing import (
    SIGNATURE_ATTRIBUTE,
    canonical_observation_bytes,
    generate_private_key,
    public_key_pem,
    sign,
)
from truceline.observations.model import Evidence, Observation
from truceline.sources.registry import Source
from truceline.store import open_store

KEY = generate_private_key()
runner = CliRunner()


def observation(ref: str, *, evidence: tuple[Evidence, ...] = ()) -> Observation:
    return Observation(
        source_id="uav-signed",
        source_ref=ref,
        observed_at=datetime(2025, 9, 1, 10, 0, tzinfo=UTC),
        received_at=datetime(2025, 9, 1, 12, 0, tzinfo=UTC),
        lon=37.5,
        lat=48.5,
        kind="explosion",
        evidence=evidence,
    )


def signed(obs: Observation, key: object = KEY) -> Observation:
    signature = sign(canonical_observation_bytes(obs), key)  # type: ignore[arg-type]
    return obs.model_copy(update={"attributes": {**obs.attributes, SIGNATURE_ATTRIBUTE: signature}})


def store_with(path: Path, observations: list[Observation]) -> None:
    source = Source(
        id="uav-signed",
        name="Signed UAV",
        operator="Mission",
        type="uav",
        public_key=public_key_pem(KEY),
    )
    with open_store(path) as store:
        store.upsert_sources([source])
        store.add_observations(observations)


def verify(path: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", "--db", str(path)], env={"COLUMNS": "300"})
    return result.exit_code, result.output


def test_good_signatures_and_evidence_verify(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    files = EvidenceStore(evidence_dir_for(path))
    digest = files.put_bytes(b"drone still, frame 1042")
    store_with(
        path,
        [signed(observation("a", evidence=(Evidence(uri=f"sha256:{digest}", sha256=digest),)))],
    )
    code, output = verify(path)
    assert code == 0, output


def test_a_signature_that_does_not_verify_is_named(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    forged = signed(observation("b"), generate_private_key())
    store_with(path, [signed(observation("a")), forged])
    code, output = verify(path)
    assert code == 1
    assert f"observation {forged.id} of source uav-signed: signature" in output


def test_a_changed_evidence_file_and_a_missing_one_are_named(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    files = EvidenceStore(evidence_dir_for(path))
    digest = files.put_bytes(b"drone still, frame 1042")
    absent = "ab" * 32
    store_with(
        path,
        [
            signed(observation("a", evidence=(Evidence(uri=f"sha256:{digest}", sha256=digest),))),
            signed(observation("b", evidence=(Evidence(uri=f"evidence:{absent}", sha256=absent),))),
        ],
    )
    stored = files.path_of(digest)
    os.chmod(stored, stat.S_IRUSR | stat.S_IWUSR)
    stored.write_bytes(b"drone still, frame 1043")
    code, output = verify(path)
    assert code == 1
    assert f"evidence file {digest}" in output
    assert f"evidence:{absent} is not in the evidence store" in output
