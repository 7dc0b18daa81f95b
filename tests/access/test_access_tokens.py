"""Organisations, users and API tokens: roles fit the organisation, tokens are kept only as
salted digests, checked in constant time, and refused once expired or revoked."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from access_support import NOW, ORGANISATIONS, USERS, people
from sqlalchemy import select, text

from truceline.access.directory import Directory, TokenRefusedError
from truceline.access.model import (
    ALL_AUDIENCES,
    Organisation,
    OrganisationKind,
    Role,
    TokenRecord,
    User,
)
from truceline.access.tokens import digest_of, make_token, matches, parse_token
from truceline.errors import InputError
from truceline.store import open_store
from truceline.store import tables as t
from truceline.store.sql_store import SqlStore


def test_a_new_store_holds_the_public_and_nothing_else(sqlite_target: str) -> None:
    with open_store(sqlite_target) as store:
        directory = Directory(store)
        assert directory.organisations() == [
            Organisation(id="PUBLIC", name="The public", kind=OrganisationKind.PUBLIC)
        ]
        assert directory.users() == []
        assert directory.tokens() == []


def test_organisations_and_users_are_added_once_and_never_changed(sqlite_target: str) -> None:
    with open_store(sqlite_target) as store:
        directory = Directory(store)
        fr = Organisation(id="FR", name="France", kind=OrganisationKind.MEMBER)
        assert directory.add_organisation(fr, now=NOW)
        assert not directory.add_organisation(fr, now=NOW)
        with pytest.raises(InputError, match="exists already as 'France'") as caught:
            directory.add_organisation(
                Organisation(id="FR", name="France", kind=OrganisationKind.LEAD), now=NOW
            )
        assert caught.value.field == "id"
        user = User(id="c.dupont", organisation="FR", display_name="C", roles={Role.LIAISON})
        assert directory.add_user(user, now=NOW)
        assert not directory.add_user(user, now=NOW)
        assert directory.user("c.dupont") == user
        with pytest.raises(InputError, match="users are never changed") as changed:
            directory.add_user(user.model_copy(update={"display_name": "D"}), now=NOW)
        assert changed.value.field == "id"
        assert directory.users("FR") == [user]
        assert directory.users("PUBLIC") == []


@pytest.mark.parametrize(
    ("organisation", "role"),
    [("UA", Role.ANALYST), ("FR", Role.ADMINISTRATOR), ("PUBLIC", Role.LIAISON), ("JCC", "party")],
)
def test_a_role_that_does_not_fit_the_organisation_is_refused(
    sqlite_target: str, organisation: str, role: Role
) -> None:
    with open_store(sqlite_target) as store:
        directory = Directory(store)
        for o in ORGANISATIONS:
            directory.add_organisation(o, now=NOW)
        user = User(id="x", organisation=organisation, display_name="X", roles={role})
        with pytest.raises(InputError, match="cannot be held in a") as caught:
            directory.add_user(user, now=NOW)
        assert caught.value.field == "roles"
        assert directory.users() == []


def test_a_user_of_an_unknown_organisation_is_refused(sqlite_target: str) -> None:
    with open_store(sqlite_target) as store:
        user = User(id="x", organisation="DE", display_name="X", roles={Role.LIAISON})
        with pytest.raises(InputError, match="'DE' does not exist; add it first") as caught:
            Directory(store).add_user(user, now=NOW)
        assert caught.value.field == "organisation"


def test_the_secret_is_nowhere_in_the_store(tmp_path: Path) -> None:
    path = tmp_path / "tokens.sqlite"
    with open_store(path) as store:
        tokens = people(store)
        assert isinstance(store, SqlStore)
        with store.engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            kept = conn.execute(select(t.api_tokens)).mappings().all()
    assert len(kept) == len(USERS)
    raw = b"".join(
        Path(f"{path}{s}").read_bytes() for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )
    for token in tokens.values():
        parsed = parse_token(token)
        assert parsed is not None
        assert parsed.secret.encode() not in raw
        assert token.encode() not in raw
        row = next(r for r in kept if r["id"] == parsed.id)
        assert row["digest"] == digest_of(parsed.secret, row["salt"])
    # every digest and every salt differs
    assert len({r["digest"] for r in kept}) == len({r["salt"] for r in kept}) == len(kept)


def test_a_token_opens_as_its_user_until_revoked_or_expired(store_target: str) -> None:
    with open_store(store_target) as store:
        tokens = people(store)
        directory = Directory(store)
        cell = directory.authenticate(tokens["analyst"], now=NOW)
        assert (cell.subject, cell.organisation, cell.roles) == ("analyst", "JCC", {Role.ANALYST})
        assert cell.audiences == {ALL_AUDIENCES}
        party = directory.authenticate(tokens["party-ua"], now=NOW)
        assert party.audiences == {"public", "party:*", "party:UA"}
        assert not party.reads_everything

        secret, record = directory.create_token(
            "party-ua", now=NOW, expires_at=NOW + timedelta(days=1), label="dashboard"
        )
        assert directory.authenticate(secret, now=NOW + timedelta(hours=23)) == party
        with pytest.raises(TokenRefusedError, match=f"token {record.id} expired at"):
            directory.authenticate(secret, now=NOW + timedelta(days=1))
        revoked = directory.revoke_token(record.id, now=NOW + timedelta(hours=1))
        assert revoked.revoked_at == NOW + timedelta(hours=1)
        again = directory.revoke_token(record.id, now=NOW + timedelta(hours=2))
        assert again.revoked_at == revoked.revoked_at  # the first revocation counts
        with pytest.raises(TokenRefusedError, match=f"token {record.id} was revoked"):
            directory.authenticate(secret, now=NOW)
        assert sorted(str(r.label) for r in directory.tokens("party-ua")) == ["None", "dashboard"]
        with pytest.raises(InputError, match="no token 'nope'"):
            directory.revoke_token("nope", now=NOW)
        with pytest.raises(InputError, match="user 'ghost' does not exist") as caught:
            directory.create_token("ghost", now=NOW, expires_at=None)
        assert caught.value.field == "user"


DAMAGES: list[Callable[[str], str]] = [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # another secret
    lambda token: "tl_" + "0" * 16 + token[19:],  # an unknown id
    lambda token: token[:-3],  # too short
    lambda token: "Bearer " + token,  # not ours
    lambda token: "",
]


def test_a_wrong_token_is_refused_without_telling_why(store_target: str) -> None:
    with open_store(store_target) as store:
        tokens = people(store)
        for damage in DAMAGES:
            with pytest.raises(TokenRefusedError) as caught:
                Directory(store).authenticate(damage(tokens["analyst"]), now=NOW)
            assert str(caught.value) == (
                "the API token is not valid; check it, or ask for a new one"
            )


def _compares(work: Callable[[], Any]) -> list[str]:
    """The names of the C functions `work` calls that compare digests."""
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call" and "compare_digest" in getattr(arg, "__name__", ""):
            seen.append(arg.__name__)

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return seen


def test_secrets_are_compared_in_constant_time_known_id_or_not() -> None:
    made = make_token()
    parsed = parse_token(made.token)
    assert parsed is not None
    for secret, salt, digest, expected in (
        (parsed.secret, made.salt, made.digest, True),
        (parsed.secret[:-1] + "x", made.salt, made.digest, False),
        (parsed.secret, None, None, False),  # no record: the same work on a dummy
    ):
        result: list[bool] = []

        def check(
            s: str = secret,
            a: str | None = salt,
            d: str | None = digest,
            out: list[bool] = result,
        ) -> None:
            out.append(matches(s, a, d))

        assert _compares(check) == ["compare_digest"]
        assert result == [expected]


def test_tokens_are_long_random_and_of_one_form() -> None:
    made = [make_token() for _ in range(50)]
    assert len({m.token for m in made}) == len({m.id for m in made}) == 50
    for m in made:
        parsed = parse_token(m.token)
        assert parsed is not None
        assert parsed.id == m.id
        assert len(parsed.secret) == 43  # 32 random bytes
        assert m.token.startswith(f"tl_{m.id}_")
    assert parse_token("tl_XYZ_abc") is None


def test_a_token_record_never_expires_before_it_is_made() -> None:
    with pytest.raises(ValueError, match="expires_at must be after created_at"):
        TokenRecord(id="0" * 16, user="u", created_at=NOW, expires_at=NOW)
