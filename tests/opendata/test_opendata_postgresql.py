"""The same exports from PostgreSQL as from SQLite: the read layer is one, and so is the
output, byte for byte."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from tests.opendata.opendata_support import Marked, make_marked
from tests.store_backends import fresh_schema, postgresql_server

from truceline.opendata import (
    CELL_PRINCIPAL,
    PUBLIC_PRINCIPAL,
    Format,
    Layer,
    export_layer,
    open_data,
)
from truceline.store import open_store

__all__ = ["postgresql_server"]


@pytest.fixture(scope="module")
def on_postgresql(postgresql_server: str) -> Iterator[Marked]:
    with fresh_schema(postgresql_server) as url:
        yield make_marked(url)


def _export(target: str, layer: Layer, fmt: Format, *, public: bool) -> bytes:
    out = io.BytesIO()
    with open_store(target, create=False) as store:
        principal = PUBLIC_PRINCIPAL if public else CELL_PRINCIPAL
        export_layer(open_data(store), layer, fmt, out, principal=principal)
    return out.getvalue()


@pytest.mark.parametrize("public", [True, False])
@pytest.mark.parametrize("layer", [Layer.INCIDENTS, Layer.DETERMINATIONS])
def test_postgresql_exports_what_sqlite_does(
    marked: Marked, on_postgresql: Marked, layer: Layer, public: bool
) -> None:
    assert on_postgresql.incident_ids == marked.incident_ids
    for fmt in (Format.GEOJSON, Format.CSV):
        sqlite = _export(str(marked.path), layer, fmt, public=public)
        postgresql = _export(str(on_postgresql.path), layer, fmt, public=public)
        assert postgresql == sqlite
    assert b"cell+members:FR" not in _export(
        str(on_postgresql.path), layer, Format.GEOJSON, public=True
    )
