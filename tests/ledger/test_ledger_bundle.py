"""The signed digest, the bundle and the command line: a round trip, and a byte changed in
any member of a bundle is found."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import typer
from tests.store.store_helpers import incident, observation
from typer.testing import CliRunner, Result

from truceline.cli.ledger import export_bundle, ledger_app, verify
from truceline.ledger.bundle import MEMBERS, verify_bundle
from truceline.ledger.signing import generate_private_key, private_key_pem
from truceline.store import open_store

app = typer.Typer()
app.command("verify")(verify)
app.command("export-bundle")(export_bundle)
app.add_typer(ledger_app, name="ledger")
runner = CliRunner()


def _text(result: Result) -> str:
    """The output with its line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture
def signed_store(store_target: str, tmp_path: Path) -> tuple[str, Path]:
    """A store with observations, incidents and a signed digest of 2025-09-01, then more."""
    key = tmp_path / "mission.pem"
    key.write_text(private_key_pem(generate_private_key()), encoding="utf-8")
    key.chmod(0o600)
    with open_store(store_target) as store:
        store.add_observations([observation(i) for i in range(4)])
        store.replace_incidents([], [incident("a", (observation(0).id, observation(1).id))])
    done = runner.invoke(
        app,
        ["ledger", "sign-digest", "--db", store_target, "--key", str(key), "--date", "2025-09-01"],
    )
    assert done.exit_code == 0, done.output
    assert "as ledger entry 6" in _text(done)
    with open_store(store_target) as store:
        store.add_observations([observation(i) for i in range(4, 6)])
    return store_target, key


def test_the_store_and_its_bundle_verify(signed_store: tuple[str, Path], tmp_path: Path) -> None:
    db, _ = signed_store
    checked = runner.invoke(app, ["verify", "--db", db])
    assert checked.exit_code == 0, checked.output
    assert "8 ledger entries, 1 signed digest(s)" in _text(checked)
    out = tmp_path / "bundle.zip"
    written = runner.invoke(app, ["export-bundle", "--db", db, "--out", str(out)])
    assert written.exit_code == 0, written.output
    checked = runner.invoke(app, ["verify", "--bundle", str(out)])
    assert checked.exit_code == 0, checked.output
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        keys = json.loads(zf.read("public_keys.json"))
    assert manifest["counts"] == {"entries": 8, "digests": 1, "records": 7}
    assert len(keys) == 1
    assert keys[0].startswith("-----BEGIN PUBLIC KEY-----")


def test_a_slice_up_to_a_digest_verifies_from_its_first_hash(
    signed_store: tuple[str, Path], tmp_path: Path
) -> None:
    db, _ = signed_store
    out = tmp_path / "day.zip"
    done = runner.invoke(
        app, ["export-bundle", "--db", db, "--out", str(out), "--until", "2025-09-01"]
    )
    assert done.exit_code == 0, done.output
    assert "entries 1..6" in _text(done)
    assert verify_bundle(out).ok
    later = tmp_path / "later.zip"
    done = runner.invoke(
        app, ["export-bundle", "--db", db, "--out", str(later), "--since", "2025-09-02"]
    )
    assert done.exit_code == 0, done.output
    assert "entries 7..8" in _text(done)
    assert verify_bundle(later).ok


def _rewrite(path: Path, name: str, change: int, *, fix_manifest: bool) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    blob = bytearray(members[name])
    blob[change % len(blob)] ^= 0x01
    members[name] = bytes(blob)
    if fix_manifest and name != "manifest.json":
        import hashlib

        manifest = json.loads(members["manifest.json"])
        manifest["members"][name] = hashlib.sha256(members[name]).hexdigest()
        members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


@pytest.mark.parametrize("name", MEMBERS)
def test_a_flipped_byte_in_any_member_is_named(
    signed_store: tuple[str, Path], tmp_path: Path, name: str
) -> None:
    db, _ = signed_store
    out = tmp_path / "bundle.zip"
    assert runner.invoke(app, ["export-bundle", "--db", db, "--out", str(out)]).exit_code == 0
    _rewrite(out, name, 57, fix_manifest=False)
    checked = runner.invoke(app, ["verify", "--bundle", str(out)])
    assert checked.exit_code == 1
    assert f"bundle member {name}: its SHA-256 does not match the manifest" in _text(checked)


def test_a_flipped_payload_with_a_forged_manifest_is_named(
    signed_store: tuple[str, Path], tmp_path: Path
) -> None:
    db, _ = signed_store
    out = tmp_path / "bundle.zip"
    assert runner.invoke(app, ["export-bundle", "--db", db, "--out", str(out)]).exit_code == 0
    with zipfile.ZipFile(out) as zf:
        first_line = zf.read("ledger.jsonl").split(b"\n")[0]
    at = first_line.index(b"ref-")
    _rewrite(out, "ledger.jsonl", at + 4, fix_manifest=True)
    result = verify_bundle(out)
    assert not result.ok
    record_id = json.loads(first_line)["record_id"]
    assert result.problems[0] == (
        f"ledger entry 1 (observation {record_id}): payload hash does not match"
    )


def test_a_forged_digest_signature_is_named(signed_store: tuple[str, Path]) -> None:
    db, _ = signed_store
    with open_store(db) as store, store.engine.begin() as conn:  # type: ignore[attr-defined]
        from sqlalchemy import text

        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE ledger DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER ledger_no_update"))
        conn.execute(
            text("UPDATE ledger SET payload = replace(payload, :a, :b) WHERE kind = 'digest'"),
            {"a": '"head_seq":5', "b": '"head_seq":4'},
        )
    checked = runner.invoke(app, ["verify", "--db", db])
    assert checked.exit_code == 1
    assert "ledger entry 6 (digest 2025-09-01): payload hash does not match" in _text(checked)
    assert "the digest's signature does not verify" in _text(checked)


def test_hostile_bundles_are_refused_with_a_message(tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../manifest.json", "{}")
    checked = runner.invoke(app, ["verify", "--bundle", str(evil)])
    assert checked.exit_code == 2
    assert "unexpected member '../manifest.json'" in _text(checked)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ledger.jsonl", b"\0" * (50 * 1024 * 1024))
    checked = runner.invoke(app, ["verify", "--bundle", str(bomb)])
    assert checked.exit_code == 2
    assert "too large or too compressed" in _text(checked)
    notzip = tmp_path / "plain.zip"
    notzip.write_text("hello", encoding="utf-8")
    assert "not a readable zip" in _text(runner.invoke(app, ["verify", "--bundle", str(notzip)]))


def test_bad_options_tell_what_to_do(tmp_path: Path) -> None:
    assert "give either --db" in _text(runner.invoke(app, ["verify"]))
    missing = runner.invoke(app, ["verify", "--db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2
    assert "no such file" in _text(missing)
    nokey = runner.invoke(app, ["ledger", "sign-digest", "--db", str(tmp_path / "x.sqlite")])
    assert nokey.exit_code == 2
    assert "--key FILE or --key-env" in _text(nokey)
