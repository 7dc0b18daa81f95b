"""docs/response.md states the workflow and the CAP mapping as the code applies them, and
its example documents are valid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from response_support import assert_valid_cap

from truceline.response.cap import (
    SEVERITY_TO_CAP,
    CapSeverity,
    Certainty,
    alert_from_json,
    cap_certainty,
    parse_cap,
    to_xml,
)
from truceline.response.review import DEFAULT_POLICY, ReviewActionKind, ReviewStatus, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "response.md"


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


def _block(text: str, language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", text, re.DOTALL)
    assert found is not None, language
    return found.group(1)


def test_the_example_document_is_valid_cap_and_reads_back(text: str) -> None:
    document = _block(text, "xml").encode("utf-8")
    assert_valid_cap(document)
    alert = parse_cap(document)
    assert to_xml(alert) == document
    assert alert.info[0].severity is CapSeverity.SEVERE


def test_the_example_json_reads(text: str) -> None:
    alert = alert_from_json(json.loads(_block(text, "json")))
    assert alert.info[0].parameter("determinationId") == "det-a1a0e2bb44f3cbccb86c78db"


def test_every_action_status_and_role_is_documented(text: str) -> None:
    for kind in ReviewActionKind:
        assert f"`{kind.value}`" in text, kind
    for status in ReviewStatus:
        assert f"| `{status.value}` |" in text, status
    for role in Role:
        assert f"| `{role.value}` |" in text, role


def test_the_permission_table_is_the_policy(text: str) -> None:
    rows = {
        role: re.search(rf"^\| `{role.value}` \| (yes|no) \| (yes|no) \|", text, re.MULTILINE)
        for role in Role
    }
    for role, row in rows.items():
        assert row is not None, role
        allowed = DEFAULT_POLICY.permissions[role]
        assert (row.group(1) == "yes") == (ReviewActionKind.CONFIRM in allowed), role
        assert (row.group(2) == "yes") == (ReviewActionKind.SIGN in allowed), role
    assert "30 minutes" in text
    assert DEFAULT_POLICY.lock_duration.total_seconds() == 30 * 60


def test_the_severity_and_certainty_mapping_is_the_one_in_the_code(text: str) -> None:
    mapping = re.findall(r"(\w+) → `(\w+)`", text)
    for severity, cap in SEVERITY_TO_CAP.items():
        assert (severity.value, cap.value) in mapping, severity
    assert cap_certainty(0.5, signed=False) is Certainty.LIKELY
    assert "from 0.5 → `Likely`, from 0.05 → `Possible`" in text
