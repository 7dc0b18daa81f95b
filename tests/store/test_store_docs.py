"""docs/store.md names every method, table and index of the store."""

from __future__ import annotations

import inspect
from pathlib import Path

from truceline.store import Store
from truceline.store.tables import metadata

DOC = Path(__file__).resolve().parents[2] / "docs" / "store.md"


def test_every_method_of_the_interface_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    methods = [
        name
        for name, member in inspect.getmembers(Store, inspect.isfunction)
        if not name.startswith("_") and name != "close"
    ]
    assert len(methods) >= 20
    missing = [name for name in methods if f"`{name}(" not in text]
    assert missing == []


def test_every_table_and_index_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [t.name for t in metadata.sorted_tables if f"`{t.name}`" not in text]
    assert missing == []
    indexes = {str(i.name) for t in metadata.sorted_tables for i in t.indexes}
    # `ix_determinations_status`, `_attributed_to`, ... share one row of the index table
    undocumented = [
        name
        for name in sorted(indexes)
        if name not in text and f"_{name.split('_', 2)[2]}`" not in text
    ]
    assert undocumented == []


def test_the_functions_of_the_package_and_the_pool_are_documented() -> None:
    import truceline.store
    from truceline.store.dialect import POOL_OVERFLOW, POOL_SIZE, POSTGIS_PACKAGE

    text = DOC.read_text(encoding="utf-8")
    functions = [name for name in truceline.store.__all__ if name[0].islower()]
    missing = [name for name in functions if f"`{name}(" not in text]
    assert missing == []
    for fact in (
        "?schema=NAME",
        f"{POOL_SIZE} connections",
        f"up to {POOL_OVERFLOW}",
        POSTGIS_PACKAGE,
        "pool_pre_ping",
        "SERIALIZABLE",
        "ON CONFLICT (id) DO NOTHING",
    ):
        assert fact in text, fact
