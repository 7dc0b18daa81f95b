"""Evidence files: content-addressed, write-once, size-limited, checked; URIs refused
when they could reach outside the store."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from truceline.cli.keys import evidence_app
from truceline.errors import InputError
from truceline.ledger.evidence import (
    EvidenceStore,
    check_evidence_uri,
    evidence_dir_for,
    evidence_problem,
)


def test_put_is_content_addressed_read_only_and_write_once(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    data = b"photo bytes" * 1000
    sha256 = store.put(io.BytesIO(data))
    assert sha256 == hashlib.sha256(data).hexdigest()
    path = store.get(sha256)
    assert path == tmp_path / "ev" / sha256[:2] / sha256[2:4] / sha256
    assert path.read_bytes() == data
    assert not stat.S_IMODE(path.stat().st_mode) & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    before = path.stat()
    assert store.put(io.BytesIO(data)) == sha256
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert list(store.hashes()) == [sha256]
    assert [p.name for p in (tmp_path / "ev").iterdir() if p.is_file()] == []  # no temp left
    assert store.check(sha256)
    assert store.verify_all() == []


def test_a_modified_file_is_caught(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    sha256 = store.put_bytes(b"original evidence")
    path = store.get(sha256)
    os.chmod(path, 0o600)
    raw = bytearray(path.read_bytes())
    raw[3] ^= 0x01
    path.write_bytes(bytes(raw))
    assert not store.check(sha256)
    (problem,) = store.verify_all()
    assert problem.sha256 == sha256
    assert not store.check("0" * 64)  # absent


def test_size_limit_refuses_and_keeps_nothing(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    with pytest.raises(InputError, match="limit of 10 bytes") as info:
        store.put(io.BytesIO(b"x" * 11), max_bytes=10)
    assert info.value.field == "file"
    assert list(store.hashes()) == []
    assert [p for p in (tmp_path / "ev").rglob("*") if p.is_file()] == []
    assert store.put(io.BytesIO(b"x" * 10), max_bytes=10)


def test_bad_hashes_are_refused(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "ev")
    for bad in ("../etc/passwd", "AB" * 32, "ab" * 31):
        with pytest.raises(InputError) as info:
            store.get(bad)
        assert info.value.field == "sha256"


def test_evidence_folder_is_beside_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUCELINE_EVIDENCE_DIR", raising=False)
    assert evidence_dir_for(tmp_path / "m.sqlite") == tmp_path / "m.evidence"
    with pytest.raises(InputError, match="TRUCELINE_EVIDENCE_DIR"):
        evidence_dir_for("postgresql://root@127.0.0.1:5432/test")
    monkeypatch.setenv("TRUCELINE_EVIDENCE_DIR", str(tmp_path / "elsewhere"))
    assert evidence_dir_for("postgresql://root@127.0.0.1/test") == tmp_path / "elsewhere"


@pytest.mark.parametrize(
    "uri",
    [
        f"sha256:{'a' * 64}",
        f"evidence:{'0' * 64}",
        "https://example.org/a.jpg",
        "http://example.org/path/to/file.mp4?x=1#t=3",
    ],
)
def test_accepted_uris(uri: str) -> None:
    assert check_evidence_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "../a.jpg",
        "/etc/passwd",
        "file:///etc/passwd",
        "file:a.jpg",
        "a.jpg",
        "C:\\evidence\\a.jpg",
        "https://example.org/a\\b",
        "https://example.org/a\x00.jpg",
        "https://example.org/%2e%2e/%2e%2e/etc/passwd",
        "https://example.org/%252e%252e/etc",
        "https://example.org/a%00b",
        "https://example.org/a%5cb",
        "https:///no-host",
        f"sha256:{'A' * 64}",
        "sha256:../../x",
        "ftp://example.org/a",
        "javascript:alert(1)",
    ],
)
def test_refused_uris(uri: str) -> None:
    with pytest.raises(InputError) as info:
        check_evidence_uri(uri, "evidence[0].uri")
    assert info.value.field == "evidence[0].uri"
    assert str(info.value)


NASTY = st.lists(
    st.sampled_from(["..", ".", "/", "\\", "%2e", "%2E", "%2f", "%5c", "%00", "\x00", "%25"])
    | st.text(max_size=4),
    min_size=1,
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["", "https://example.org/", "file:", "http://h/x/", "/"]), tail=NASTY
)
def test_no_accepted_uri_can_walk_out_of_a_folder(prefix: str, tail: str) -> None:
    uri = prefix + tail
    refused: InputError | None = None
    try:
        check_evidence_uri(uri)
    except InputError as exc:
        refused = exc
    if refused is not None:
        assert refused.field == "evidence.uri"
        assert str(refused)
        return
    decoded = uri
    from urllib.parse import unquote

    for _ in range(4):
        decoded = unquote(decoded)
    assert uri.startswith(("http://", "https://", "sha256:", "evidence:"))
    assert "\\" not in decoded
    assert "\x00" not in decoded
    assert ".." not in decoded.split("/")


def test_evidence_problem_names_the_index() -> None:
    problem = evidence_problem(["https://example.org/ok", "../x"])
    assert problem is not None
    assert problem.field == "evidence[1].uri"
    assert evidence_problem(["https://example.org/ok"]) is None


def test_cli_evidence_add_and_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUCELINE_EVIDENCE_DIR", raising=False)
    app = typer.Typer()
    app.add_typer(evidence_app, name="evidence")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"jpeg bytes")
    db = tmp_path / "m.sqlite"
    result = CliRunner().invoke(app, ["evidence", "add", str(photo), "--db", str(db)])
    assert result.exit_code == 0, result.output
    sha256 = hashlib.sha256(b"jpeg bytes").hexdigest()
    assert f"sha256:{sha256}" in result.stdout
    store = EvidenceStore(tmp_path / "m.evidence")
    assert store.check(sha256)
    ok = CliRunner().invoke(app, ["evidence", "check", "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    path = store.get(sha256)
    os.chmod(path, 0o600)
    path.write_bytes(b"jpeg bytez")
    bad = CliRunner().invoke(app, ["evidence", "check", "--db", str(db)])
    assert bad.exit_code == 1
    assert sha256 in bad.stderr
    too_big = CliRunner().invoke(
        app, ["evidence", "add", str(photo), "--db", str(db), "--max-bytes", "3"]
    )
    assert too_big.exit_code == 1
    assert "limit" in too_big.stderr
