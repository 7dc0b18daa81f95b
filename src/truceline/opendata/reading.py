"""Reading the layers for one reader, through the service's one read layer.

Incidents and determinations are read with `truceline.service.queries.Reader`, which
applies the reader's releasability filter in SQL to every page and count: an export or an
OGC API page holds exactly what that reader may read, and `numberMatched` counts nothing
else. Large layers are read in chunks (keyset paging), so an export of a big store never
holds all its rows in memory.

The line and the zones are the agreement's: the agreement is what the parties signed, and
every reader may read it (as `GET /api/agreements`).

An **edition** names a reader for the command line: `public` reads as the public does
(only what is marked `public`), `restricted` as the coordination cell (everything).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import shapely
from shapely.geometry import box

from truceline.access.model import (
    ALL_AUDIENCES,
    PUBLIC_ORGANISATION_ID,
    Edition,
    Organisation,
    OrganisationKind,
    Principal,
    Role,
)
from truceline.access.policy import audiences_of
from truceline.adjudication.determination import Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import InputError
from truceline.opendata.layers import (
    Feature,
    Layer,
    determination_feature,
    incident_feature,
    line_feature,
)
from truceline.opendata.zones import zone_features
from truceline.service.queries import (
    DeterminationFilter,
    Extent,
    IncidentFilter,
    PageRequest,
    Reader,
)
from truceline.store.base import BBox, Store, TimeWindow

CHUNK: Final = 5_000
"""Rows read from the store at once when streaming a layer."""


PUBLIC_PRINCIPAL: Final = Principal(
    subject="public",
    organisation=PUBLIC_ORGANISATION_ID,
    roles=frozenset({Role.PUBLIC}),
    audiences=audiences_of(
        Organisation(id=PUBLIC_ORGANISATION_ID, name="The public", kind=OrganisationKind.PUBLIC)
    ),
)
"""The anonymous reader: reads what is marked `public`, nothing else."""

CELL_PRINCIPAL: Final = Principal(
    subject="cell",
    organisation="cell",
    roles=frozenset(),
    audiences=frozenset({ALL_AUDIENCES}),
)
"""The coordination cell as a reader: reads everything (the restricted edition)."""


def edition_principal(edition: Edition) -> Principal:
    """The reader an edition is written for."""
    return PUBLIC_PRINCIPAL if edition is Edition.PUBLIC else CELL_PRINCIPAL


@dataclass(frozen=True)
class LayerFilter:
    """What to keep of a layer. `bbox` applies to every layer, `window` to every layer but
    the line and zones (which have no time); the others to incidents (through their
    determination under the version chosen) and determinations only."""

    window: TimeWindow | None = None
    bbox: BBox | None = None
    min_confidence: float | None = None
    status: Status | None = None
    clear_breach: bool | None = None
    zone: str | None = None
    party: str | None = None
    agreement_version: int | None = None
    all_versions: bool = False

    def judged_fields(self) -> dict[str, object]:
        """The filters that ask something of a determination, by name (those given)."""
        given = {
            "status": self.status,
            "clear_breach": self.clear_breach,
            "zone": self.zone,
            "party": self.party,
        }
        return {name: value for name, value in given.items() if value is not None}

    def check_for(self, layer: Layer) -> None:
        """InputError naming the first filter that does not apply to the layer."""
        if layer.is_judged:
            return
        given = {
            "min_confidence": self.min_confidence,
            "agreement_version": self.agreement_version,
            **self.judged_fields(),
        }
        if self.all_versions:
            given["all_versions"] = True
        for name, value in given.items():
            if value is not None:
                raise InputError(
                    f"{name}: filters incidents and determinations only, not the "
                    f"{layer.value} layer; leave it out",
                    field=name,
                )
        if self.window is not None:
            raise InputError(
                f"start: the {layer.value} layer has no time; leave start and end out",
                field="start",
            )


class OpenData:
    """The layers as one reader may read them, over one SQL store.

    `agreement` is the latest version of the agreement in force (None when the store
    holds none yet): determinations are those judged under it unless a filter names
    another version or all of them, and the line and zones are its own.
    """

    def __init__(self, store: Store, reader: Reader, agreement: LoadedAgreement | None) -> None:
        self._store = store
        self._reader = reader
        self._agreement = agreement

    @property
    def agreement(self) -> LoadedAgreement | None:
        return self._agreement

    def _determination_filter(self, f: LayerFilter, *, of_incident: bool) -> DeterminationFilter:
        """The determinations `f` asks for; with `of_incident`, also by their incident's
        window, place and confidence."""
        agreement_id = version = None
        if not f.all_versions and self._agreement is not None:
            agreement_id = self._agreement.agreement.id
            version = f.agreement_version or self._agreement.agreement.version
        return DeterminationFilter(
            window=f.window if of_incident else None,
            bbox=f.bbox if of_incident else None,
            min_confidence=f.min_confidence if of_incident else None,
            zone=f.zone,
            party=f.party,
            status=f.status,
            clear_breach=f.clear_breach,
            agreement_id=agreement_id,
            agreement_version=version,
        )

    def _incident_filter(self, f: LayerFilter) -> IncidentFilter:
        judged = self._determination_filter(f, of_incident=False) if f.judged_fields() else None
        return IncidentFilter(
            window=f.window, bbox=f.bbox, min_confidence=f.min_confidence, judged=judged
        )

    def _full_determination_filter(self, f: LayerFilter) -> DeterminationFilter:
        return self._determination_filter(f, of_incident=True)

    def _agreement_features(self, layer: Layer, f: LayerFilter) -> list[Feature]:
        if self._agreement is None:
            return []
        found: Sequence[Feature] = (
            [line_feature(self._agreement)]
            if layer is Layer.LINE
            else zone_features(self._agreement)
        )
        if f.bbox is None:
            return list(found)
        b = f.bbox
        area = box(b.min_lon, b.min_lat, b.max_lon, b.max_lat)
        return [x for x in found if shapely.intersects(x.geometry, area)]

    def _incident_page(
        self, principal: Principal, f: IncidentFilter, page: PageRequest
    ) -> tuple[list[Feature], str | None]:
        found = self._reader.incidents(principal, f, page)
        markings = self._store.incident_releasability([i.id for i in found.items])
        features = [incident_feature(i, markings.get(i.id, "cell")) for i in found.items]
        return features, found.next_cursor

    def _determination_page(
        self, principal: Principal, f: DeterminationFilter, page: PageRequest
    ) -> tuple[list[Feature], str | None]:
        found = self._reader.determinations(principal, f, page)
        return [determination_feature(d) for d in found.items], found.next_cursor

    def _page(
        self, principal: Principal, layer: Layer, f: LayerFilter, page: PageRequest
    ) -> tuple[list[Feature], str | None]:
        if layer is Layer.INCIDENTS:
            return self._incident_page(principal, self._incident_filter(f), page)
        return self._determination_page(principal, self._full_determination_filter(f), page)

    def chunks(
        self, principal: Principal, layer: Layer, f: LayerFilter, *, size: int = CHUNK
    ) -> Iterator[list[Feature]]:
        """Every feature of the layer the principal may read and `f` keeps, in the layers'
        order ((start, id) for incidents, (incident start, id) for determinations), in
        lists of at most `size`."""
        f.check_for(layer)
        if not layer.is_judged:
            features = self._agreement_features(layer, f)
            if features:
                yield features
            return
        cursor: str | None = None
        while True:
            features, cursor = self._page(
                principal, layer, f, PageRequest(limit=size, cursor=cursor)
            )
            if features:
                yield features
            if cursor is None:
                return

    def page(
        self, principal: Principal, layer: Layer, f: LayerFilter, *, offset: int, limit: int
    ) -> list[Feature]:
        """One page of the layer: `limit` features after the first `offset`."""
        f.check_for(layer)
        if not layer.is_judged:
            return self._agreement_features(layer, f)[offset : offset + limit]
        features, _ = self._page(principal, layer, f, PageRequest(limit=limit, offset=offset))
        return features

    def extent(self, principal: Principal, layer: Layer, f: LayerFilter) -> Extent:
        """How many features `f` keeps for the principal, their box and time span."""
        f.check_for(layer)
        if layer is Layer.INCIDENTS:
            return self._reader.incident_extent(principal, self._incident_filter(f))
        if layer is Layer.DETERMINATIONS:
            return self._reader.determination_extent(principal, self._full_determination_filter(f))
        features = self._agreement_features(layer, f)
        if not features:
            return Extent(0, None, None, None)
        bounds = shapely.total_bounds([x.geometry for x in features])
        start = None
        if self._agreement is not None:
            start = self._agreement.agreement.effective_from
        return Extent(len(features), BBox(*(float(v) for v in bounds)), start, None)

    def feature(self, principal: Principal, layer: Layer, feature_id: str) -> Feature | None:
        """One feature by id; None when there is none the principal may read."""
        if layer is Layer.INCIDENTS:
            incident = self._reader.incident(principal, feature_id)
            if incident is None:
                return None
            markings = self._store.incident_releasability([incident.id])
            return incident_feature(incident, markings.get(incident.id, "cell"))
        if layer is Layer.DETERMINATIONS:
            found = self._reader.determination(principal, feature_id)
            return determination_feature(found) if found is not None else None
        for candidate in self._agreement_features(layer, LayerFilter()):
            if candidate.id == feature_id:
                return candidate
        return None
