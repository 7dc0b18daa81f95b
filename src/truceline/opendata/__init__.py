"""Open data: the incidents, determinations, line and zones as GeoJSON, CSV, GeoParquet
and OGC API - Features (docs/opendata.md).

A package of its own, beside `reports`: the daily report renders one period for reading,
while open data serves whole layers to programs (a GIS, a notebook), in chunks, with the
same releasability filter as every read of the service. The command line
(`truceline export`), the export endpoints (`/api/export/...`) and the OGC API router
(`/ogc`) are thin layers over it.

- `layers`: the layers, their columns, and features made from the domain types.
- `zones`: the agreement's zones as polygons.
- `reading`: the layers as one reader may read them (`OpenData`), in chunks or pages.
- `writers`: GeoJSON, CSV and GeoParquet writers.
- `ogc`: the OGC API - Features documents and parameters, without a web framework.

    with open_store("mission.sqlite", create=False) as store:
        data = open_data(store)
        with open("incidents.geojson", "wb") as out:
            export_layer(data, Layer.INCIDENTS, Format.GEOJSON, out, principal=PUBLIC_PRINCIPAL)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import IO

from truceline.access.model import Edition, Principal
from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import StoreError
from truceline.opendata.layers import COLUMNS, Column, ColumnType, Feature, Layer
from truceline.opendata.reading import (
    CELL_PRINCIPAL,
    PUBLIC_PRINCIPAL,
    LayerFilter,
    OpenData,
    edition_principal,
)
from truceline.opendata.writers import Format, Written, write_layer
from truceline.service.queries import Reader, check_store
from truceline.store import Store

__all__ = [
    "CELL_PRINCIPAL",
    "COLUMNS",
    "PUBLIC_PRINCIPAL",
    "Column",
    "ColumnType",
    "Edition",
    "Feature",
    "Format",
    "Layer",
    "LayerFilter",
    "OpenData",
    "Written",
    "agreement_in_force",
    "edition_principal",
    "export_layer",
    "open_data",
]


def agreement_in_force(store: Store, agreement_id: str | None = None) -> LoadedAgreement | None:
    """The latest version of the agreement named, or of the only one in the store; None
    when the store holds no agreement. StoreError when it holds several and none is named,
    or not the one named."""
    if agreement_id is None:
        ids = Reader(check_store(store)).agreement_ids()
        if not ids:
            return None
        if len(ids) > 1:
            raise StoreError(
                f"the store holds several agreements ({', '.join(ids)}); name the one in "
                "force with --agreement-id"
            )
        agreement_id = ids[0]
    return store.agreement(agreement_id)


def open_data(store: Store, agreement_id: str | None = None) -> OpenData:
    """The layers of a store, under the agreement in force (see `agreement_in_force`)."""
    sql = check_store(store)
    return OpenData(sql, Reader(sql), agreement_in_force(sql, agreement_id))


def export_layer(
    data: OpenData,
    layer: Layer,
    fmt: Format,
    out: IO[bytes],
    *,
    principal: Principal,
    layer_filter: LayerFilter | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> Written:
    """Write what `principal` may read of a layer, filtered, to a binary stream, chunk by
    chunk; `on_chunk` is told the size of each chunk as it is written."""
    chosen = layer_filter or LayerFilter()
    chosen.check_for(layer)

    def chunks() -> Iterator[Sequence[Feature]]:
        for chunk in data.chunks(principal, layer, chosen):
            yield chunk
            if on_chunk is not None:
                on_chunk(len(chunk))

    return write_layer(layer, fmt, chunks(), out)
