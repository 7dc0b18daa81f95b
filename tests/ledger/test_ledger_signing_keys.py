"""Ed25519 keys and signatures: canonical bytes, sign and verify, loading keys, keygen."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from truceline.cli.keys import keygen
from truceline.errors import InputError
from truceline.ledger.signing import (
    SIGNED_FIELDS,
    canonical_observation_bytes,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
    sign,
    signature_problem,
    verify,
)
from truceline.observations.model import Evidence, Observation

SHA = "ab" * 32
FIXED_KEY = generate_private_key()


def observation(**changes: object) -> Observation:
    values: dict[str, object] = {
        "source_id": "uav-1",
        "source_ref": "r-1",
        "observed_at": datetime(2025, 9, 1, 10, 0, tzinfo=UTC),
        "received_at": datetime(2025, 9, 1, 10, 5, tzinfo=UTC),
        "lon": 37.5,
        "lat": 48.1,
        "kind": "explosion",
        "attributes": {"crew": 3},
        "evidence": (Evidence(uri=f"sha256:{SHA}", sha256=SHA),),
    }
    values.update(changes)
    return Observation.model_validate(values)


def test_canonical_bytes_are_documented_fields_only() -> None:
    obs = observation()
    text = canonical_observation_bytes(obs).decode("utf-8")
    assert text == (
        '{"attributes":{"crew":3},"calibre_mm":null,"domain":"land","evidence":'
        f'[{{"sha256":"{SHA}","uri":"sha256:{SHA}"}}],"kind":"explosion","lat":48.1,'
        '"location_uncertainty_m":0.0,"lon":37.5,"observed_at":"2025-09-01T10:00:00Z",'
        '"source_id":"uav-1","source_ref":"r-1","time_uncertainty_s":0.0,"weapon_class":null}'
    )
    assert set(SIGNED_FIELDS) <= set(Observation.model_fields)


def test_canonical_bytes_ignore_reception_grading_and_signature() -> None:
    base = canonical_observation_bytes(observation())
    other = observation(
        received_at=datetime(2025, 9, 2, tzinfo=UTC),
        reliability="A",
        credibility=1,
        releasability="public",
        attributes={"crew": 3, "signature": "anything"},
    )
    assert canonical_observation_bytes(other) == base
    assert canonical_observation_bytes(observation(lon=37.5000001)) != base
    assert canonical_observation_bytes(observation(attributes={"crew": 4})) != base


def test_sign_and_verify_and_wrong_key() -> None:
    key = generate_private_key()
    data = canonical_observation_bytes(observation())
    signature = sign(data, key)
    assert len(base64.b64decode(signature)) == 64
    assert verify(data, signature, key.public_key())
    assert verify(data, signature, public_key_pem(key))
    assert not verify(data, signature, generate_private_key().public_key())
    assert not verify(data + b" ", signature, key.public_key())
    assert not verify(data, "not base64!", key.public_key())
    assert not verify(data, base64.b64encode(b"x" * 63).decode(), key.public_key())


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_of_data_or_signature_is_rejected(position: int, bit: int) -> None:
    key = FIXED_KEY
    data = canonical_observation_bytes(observation())
    signature = base64.b64decode(sign(data, key))
    tampered = bytearray(data)
    tampered[position % len(tampered)] ^= 1 << bit
    assert not verify(bytes(tampered), base64.b64encode(signature).decode(), key.public_key())
    bad = bytearray(signature)
    bad[position % len(bad)] ^= 1 << bit
    assert not verify(data, base64.b64encode(bytes(bad)).decode(), key.public_key())


def test_signature_problem_names_missing_and_failing() -> None:
    key = generate_private_key()
    public = public_key_pem(key)
    unsigned = observation()
    assert "missing" in (signature_problem(unsigned, public) or "")
    signature = sign(canonical_observation_bytes(unsigned), key)
    signed = observation(attributes={"crew": 3, "signature": signature})
    assert signature_problem(signed, public) is None
    changed = observation(lat=48.2, attributes={"crew": 3, "signature": signature})
    assert "does not verify" in (signature_problem(changed, public) or "")
    other = public_key_pem(generate_private_key())
    assert "does not verify" in (signature_problem(signed, other) or "")


def test_public_keys_from_pem_and_base64() -> None:
    key = generate_private_key()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    from_pem = load_public_key(public_key_pem(key))
    from_b64 = load_public_key(base64.b64encode(raw).decode())
    data = b"digest"
    signature = sign(data, key)
    assert verify(data, signature, from_pem)
    assert verify(data, signature, from_b64)
    for bad in ("", "abc", base64.b64encode(b"x" * 31).decode(), "-----BEGIN PUBLIC KEY-----x"):
        with pytest.raises(InputError) as info:
            load_public_key(bad)
        assert info.value.field == "public_key"


def test_private_key_from_file(tmp_path: Path) -> None:
    key = generate_private_key()
    path = tmp_path / "mission.pem"
    path.write_text(private_key_pem(key))
    path.chmod(0o600)
    loaded = load_private_key(path)
    assert public_key_pem(loaded) == public_key_pem(key)


def test_world_readable_or_missing_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "open.pem"
    path.write_text(private_key_pem(generate_private_key()))
    path.chmod(0o644)
    with pytest.raises(InputError, match="chmod 600") as info:
        load_private_key(path)
    assert info.value.field == str(path)
    with pytest.raises(InputError, match="cannot read"):
        load_private_key(tmp_path / "absent.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello")
    garbage.chmod(0o600)
    with pytest.raises(InputError, match="keygen"):
        load_private_key(garbage)


def test_private_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_private_key()
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    monkeypatch.setenv("MISSION_KEY_PEM", private_key_pem(key))
    monkeypatch.setenv("MISSION_KEY_B64", base64.b64encode(raw).decode())
    for name in ("MISSION_KEY_PEM", "MISSION_KEY_B64"):
        assert public_key_pem(load_private_key(env=name)) == public_key_pem(key)
    monkeypatch.setenv("MISSION_KEY_BAD", "not a key")
    with pytest.raises(InputError) as info:
        load_private_key(env="MISSION_KEY_BAD")
    assert info.value.field == "MISSION_KEY_BAD"
    monkeypatch.delenv("MISSION_KEY_UNSET", raising=False)
    with pytest.raises(InputError, match="not set"):
        load_private_key(env="MISSION_KEY_UNSET")
    with pytest.raises(InputError):
        load_private_key()


def test_keygen_writes_a_private_file_and_prints_the_public_key(tmp_path: Path) -> None:
    import typer

    app = typer.Typer()
    app.command()(keygen)
    out = tmp_path / "source.pem"
    result = CliRunner().invoke(app, ["--out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    key = load_private_key(out)
    assert public_key_pem(key).strip() in result.stdout
    again = CliRunner().invoke(app, ["--out", str(out)])
    assert again.exit_code == 1
    assert "--force" in again.stderr
    assert load_private_key(out).public_key().public_bytes_raw() == (
        key.public_key().public_bytes_raw()
    )
