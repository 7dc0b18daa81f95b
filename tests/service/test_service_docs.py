"""docs/service.md documents every endpoint and every error code the service answers."""

from __future__ import annotations

import re
from pathlib import Path

from service_support import ApiClient

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "service.md").read_text(encoding="utf-8")


def _normalised(text: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", text)


def test_every_endpoint_is_documented(reader: ApiClient) -> None:
    document = reader.get("/api/openapi.json", auth=False).json()
    documented = _normalised(DOC)
    missing = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if f"`{method.upper()} {_normalised(path)}`" not in documented
    ]
    assert not missing, f"endpoints missing from docs/service.md: {missing}"


def test_every_error_code_is_documented() -> None:
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (REPO / "src" / "truceline" / "service").rglob("*.py")
    )
    codes = set(re.findall(r'ApiError\(\s*\d{3},\s*"([a-z_]+)"', source))
    codes |= set(re.findall(r'^\s+\d{3}: "([a-z_]+)",$', source, flags=re.MULTILINE))
    assert {"validation_failed", "not_found", "payload_too_large", "version_exists"} <= codes
    missing = sorted(c for c in codes if f"`{c}`" not in DOC)
    assert not missing, f"error codes missing from docs/service.md: {missing}"
