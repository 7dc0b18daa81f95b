"""docs/access.md says what the code does: every role, kind, command and example."""

from __future__ import annotations

import re
from pathlib import Path

from truceline.access.marking import canonical_marking, meet, parse_marking
from truceline.access.model import ROLES_OF_KIND, OrganisationKind, Role
from truceline.cli.access import org_app, token_app, user_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"


def test_every_role_and_kind_is_documented_with_the_kinds_that_may_hold_it() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind, roles in ROLES_OF_KIND.items():
        assert f"| `{kind.value}` |" in text
        for role in roles:
            assert re.search(rf"\| `{role.value}` \| [^|]+ \| `{kind.value}` \|", text), role
    assert {r for roles in ROLES_OF_KIND.values() for r in roles} == set(Role)
    assert set(ROLES_OF_KIND) == set(OrganisationKind)


def test_the_markings_shown_are_canonical_and_the_meets_are_right() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = re.findall(r"^\| `((?:cell|public)[^`]*)` \|", text, flags=re.MULTILINE)
    assert len(table) >= 7
    for marking in table:
        assert canonical_marking(marking) == marking
    meets = re.findall(r"meet of `([^`]+)`\s+and\s+`([^`]+)` is `([^`]+)`", text.replace("\n", " "))
    assert len(meets) >= 2
    for one, two, expected in meets:
        assert str(meet([parse_marking(one), parse_marking(two)])) == expected
    assert canonical_marking("CELL + parties : ua") == "cell+parties:UA"
    assert "CELL + parties :\nua" in text or "CELL + parties : ua" in text


def test_every_command_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for group, app in (("org", org_app), ("user", user_app), ("token", token_app)):
        for command in app.registered_commands:
            assert f"truceline {group} {command.name}" in text
