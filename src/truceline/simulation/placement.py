"""Placing simulated events against an agreement's geometry, in metres.

The agreement's line, held areas and exclusion zones are projected once into an azimuthal
equidistant projection centred on the line. Points are placed at a chosen distance from the
line on a chosen party's side by interpolating along the line, offsetting along its normal
and keeping only candidates whose true distance and side are right (rejection sampling, in
batches, vectorised).

Edges are densified before projecting, so a long straight edge in longitude/latitude keeps
its shape in metres; who holds a point is still decided on the agreement's own
longitude/latitude geometry, so sides here are exactly the agreement's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Geod, Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import AgreementError, GeometryError

FloatArray = NDArray[np.float64]
ObjectArray = NDArray[np.object_]
BoolArray = NDArray[np.bool_]


def unset(values: ObjectArray) -> BoolArray:
    """Element-wise `is None` over an object array."""
    return np.asarray(np.equal(values, np.array(None, dtype=object)), dtype=bool)


_GEOD = Geod(ellps="WGS84")
_DENSIFY_M = 100.0
_PROJECT_STEP_DEG = 0.01
"""Longest edge (degrees) projected as a straight line; the shape error stays below 1 m."""
_UNPROJECT_STEP_M = 1_000.0
_END_TOLERANCE_M = 1.0
_MAX_ROUNDS = 40
_CHUNK = 100_000


class TheatreFrame:
    """An agreement's geometry in a local metric projection, with placement helpers.

    Territory: a point is a party's land when it lies in the party's held area. When the
    party that holds "the rest" has no held area of its own, every point outside all held
    areas and outside maritime zones is its land; when it has one, points outside every
    held area are treated as sea or foreign ground and never receive land events. An
    optional `land` mask (e.g. a country outline, WGS 84) further limits land to its inside.
    """

    def __init__(self, loaded: LoadedAgreement, land: BaseGeometry | None = None) -> None:
        agreement = loaded.agreement
        if loaded.line.is_empty or loaded.line.length == 0:
            raise GeometryError(
                f"agreement {agreement.id!r}: the line of contact is empty; "
                "give a LineString or MultiLineString with at least two distinct points"
            )
        minx, miny, maxx, maxy = loaded.line.bounds
        crs = CRS.from_proj4(
            f"+proj=aeqd +lat_0={(miny + maxy) / 2:.6f} +lon_0={(minx + maxx) / 2:.6f} "
            "+datum=WGS84 +units=m +no_defs"
        )
        self._forward = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
        self._inverse = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)

        self.parties: list[str] = [p.code for p in agreement.parties]
        self.rest_party: str = agreement.line.rest_held_by
        self.line = self.project(loaded.line)
        shapely.prepare(self.line)
        parts = [p for p in shapely.get_parts(self.line) if p.length > 0]
        lengths = np.array([p.length for p in parts], dtype=np.float64)
        self._part_start = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
        self.length_m = float(lengths.sum())

        # Areas in metres (for extents) and, for deciding who holds a point, as given.
        held = {code: loaded.held_areas[code] for code in self.parties if code in loaded.held_areas}
        self.held: dict[str, BaseGeometry] = {c: self.project(a) for c, a in held.items()}
        self.exclusions: dict[str, BaseGeometry] = {
            zone_id: self.project(area) for zone_id, area in loaded.exclusions.items()
        }
        self._held_lonlat: dict[str, BaseGeometry] = dict(held)
        self._exclusions_lonlat: dict[str, BaseGeometry] = dict(loaded.exclusions)
        maritime = [
            loaded.exclusions[z.id]
            for z in agreement.zones.exclusions
            if z.type == "maritime" and z.id in loaded.exclusions
        ]
        self._water_lonlat = shapely.union_all(maritime) if maritime else None
        self._land_lonlat: BaseGeometry | None = None
        if land is not None:
            if land.is_empty or land.area == 0:
                raise GeometryError("the land mask is empty; give a Polygon or MultiPolygon")
            self._land_lonlat = land
        for area in (
            *self.held.values(),
            *self.exclusions.values(),
            *self._held_lonlat.values(),
            *self._exclusions_lonlat.values(),
            self._water_lonlat,
            self._land_lonlat,
        ):
            if area is not None:
                shapely.prepare(area)

        self._build_line_index(parts)

    def _build_line_index(self, parts: list[BaseGeometry]) -> None:
        vertices: list[FloatArray] = []
        along: list[FloatArray] = []
        ends: list[FloatArray] = []
        seg_start: list[FloatArray] = []
        seg_step: list[FloatArray] = []
        seg_along: list[FloatArray] = []
        for part, start in zip(parts, self._part_start, strict=True):
            own = shapely.get_coordinates(part)
            step = np.diff(own, axis=0)
            length = np.hypot(step[:, 0], step[:, 1])
            keep = length > 0
            seg_start.append(own[:-1][keep])
            seg_step.append(step[keep])
            seg_along.append(start + np.concatenate([[0.0], np.cumsum(length)[:-1]])[keep])
            coords = shapely.get_coordinates(shapely.segmentize(part, _DENSIFY_M))
            steps = np.hypot(*np.diff(coords, axis=0).T)
            vertices.append(coords)
            along.append(start + np.concatenate([[0.0], np.cumsum(steps)]))
            if not np.allclose(coords[0], coords[-1]):
                ends.append(np.vstack([coords[0], coords[-1]]))
        self._seg_start = np.vstack(seg_start)
        self._seg_step = np.vstack(seg_step)
        self._seg_along = np.concatenate(seg_along)
        self._seg_length = np.hypot(self._seg_step[:, 0], self._seg_step[:, 1])
        self._vertices = np.vstack(vertices)
        self._vertex_tree = cKDTree(self._vertices)
        self._vertex_along = np.concatenate(along)
        self._end_tree = cKDTree(np.vstack(ends)) if ends else None

    # Projection -----------------------------------------------------------------------

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        """The geometry in this frame's metres, its edges densified so they keep their shape."""
        dense = shapely.segmentize(geometry, _PROJECT_STEP_DEG)
        return _transform(dense, self._forward.transform)

    def unproject(self, geometry: BaseGeometry) -> BaseGeometry:
        """The geometry back in WGS 84 longitude/latitude, its edges densified likewise."""
        dense = shapely.segmentize(geometry, _UNPROJECT_STEP_M)
        return _transform(dense, self._inverse.transform)

    def to_xy(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        x, y = self._forward.transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def to_lonlat(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        lon, lat = self._inverse.transform(x, y)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    # Where points are -----------------------------------------------------------------

    def nearest_on_line(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Distance of each point to the line (m) and the nearest point's coordinates."""
        distance, nearest, _ = self._nearest(x, y)
        return distance, nearest

    def distance(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Distance of each point to the line, metres."""
        return self._nearest(x, y)[0]

    def measure(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Distance to the line (m) and position along it (m, within 50 m) of each point."""
        distance, _, along = self._nearest(x, y)
        return distance, along

    def _nearest(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Distance, nearest line point and its position along the line (within 50 m: the
        nearest vertex of the line densified to 100 m), of each point; in chunks, so that
        millions of points never exist as geometry objects all at once."""
        n = x.size
        distance = np.empty(n)
        nearest = np.empty((n, 2))
        for lo in range(0, n, _CHUNK):
            hi = min(lo + _CHUNK, n)
            lines = shapely.shortest_line(self.line, shapely.points(x[lo:hi], y[lo:hi]))
            distance[lo:hi] = shapely.length(lines)
            nearest[lo:hi] = shapely.get_coordinates(lines).reshape(-1, 2, 2)[:, 0, :]
        if n == 0:
            return distance, nearest, np.empty(0)
        _, index = self._vertex_tree.query(nearest)
        return distance, nearest, np.asarray(self._vertex_along[index], dtype=np.float64)

    def along(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Position along the line (m, within 50 m) of each point's nearest line point."""
        return self.measure(x, y)[1]

    def within_distance(
        self, x: FloatArray, y: FloatArray, min_m: float, max_m: float
    ) -> BoolArray:
        """True where a point lies between min_m and max_m from the line, not off its ends."""
        distance, nearest = self.nearest_on_line(x, y)
        return (distance >= min_m) & (distance <= max_m) & ~self.beyond_end(nearest)

    def beyond_end(self, nearest: FloatArray) -> BoolArray:
        """True where the nearest line point is an end of the line (off the line's ends)."""
        if self._end_tree is None or nearest.size == 0:
            return np.zeros(len(nearest), dtype=bool)
        distance, _ = self._end_tree.query(nearest, distance_upper_bound=_END_TOLERANCE_M)
        return np.asarray(np.isfinite(distance), dtype=bool)

    def side(self, x: FloatArray, y: FloatArray) -> ObjectArray:
        """The party holding each point under the agreement (held areas, else the rest)."""
        lon, lat = self.to_lonlat(x, y)
        result = np.full(x.shape, self.rest_party, dtype=object)
        for code, area in self._held_lonlat.items():
            result[shapely.contains_xy(area, lon, lat)] = code
        return result

    def land_owner(self, x: FloatArray, y: FloatArray) -> ObjectArray:
        """The party whose land each point is, or None at sea or outside the theatre."""
        lon, lat = self.to_lonlat(x, y)
        result = np.full(x.shape, None, dtype=object)
        inside_any = np.zeros(x.shape, dtype=bool)
        for code, area in self._held_lonlat.items():
            inside = shapely.contains_xy(area, lon, lat)
            result[inside] = code
            inside_any |= inside
        if self.rest_party not in self._held_lonlat:
            result[~inside_any] = self.rest_party
        if self._water_lonlat is not None:
            result[shapely.contains_xy(self._water_lonlat, lon, lat)] = None
        if self._land_lonlat is not None:
            result[~shapely.contains_xy(self._land_lonlat, lon, lat)] = None
        return result

    def in_zone(self, zone_id: str, x: FloatArray, y: FloatArray) -> BoolArray:
        """True where a point lies inside the exclusion zone."""
        lon, lat = self.to_lonlat(x, y)
        area = self._exclusions_lonlat[zone_id]
        return np.asarray(shapely.contains_xy(area, lon, lat), dtype=bool)

    def bearing_deg(
        self, x: FloatArray, y: FloatArray, to_x: FloatArray, to_y: FloatArray
    ) -> FloatArray:
        """Geodesic bearing, degrees clockwise from true north, from points to points."""
        lon, lat = self.to_lonlat(x, y)
        to_lon, to_lat = self.to_lonlat(to_x, to_y)
        azimuth, _, _ = _GEOD.inv(lon, lat, to_lon, to_lat)
        return np.mod(np.asarray(azimuth, dtype=np.float64), 360.0)

    def stretch(self, along_from_m: float, along_to_m: float) -> BaseGeometry:
        """The part of the line between two positions along it (metres, in this frame)."""
        coords = np.asarray(self._vertex_tree.data)
        chosen = (self._vertex_along >= along_from_m) & (self._vertex_along <= along_to_m)
        points = coords[chosen]
        if len(points) < 2:
            return shapely.points(points) if len(points) else shapely.GeometryCollection()
        jumps = np.flatnonzero(np.hypot(*np.diff(points, axis=0).T) > 2.5 * _DENSIFY_M) + 1
        pieces = [p for p in np.split(points, jumps) if len(p) >= 2]
        if not pieces:
            return shapely.points(points[:1])
        return shapely.multilinestrings(
            shapely.linestrings(pieces)
            if len(pieces) == 1
            else [shapely.linestrings(p) for p in pieces]
        )

    # Placing points -------------------------------------------------------------------

    def points_along(
        self, along_m: FloatArray, offset_m: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Points at positions along the line, offset along its left normal (m)."""
        k = np.searchsorted(self._seg_along, along_m, side="right") - 1
        k = np.clip(k, 0, self._seg_along.size - 1)
        frac = np.clip((along_m - self._seg_along[k]) / self._seg_length[k], 0.0, 1.0)
        start, step = self._seg_start[k], self._seg_step[k]
        ux = step[:, 0] / self._seg_length[k]
        uy = step[:, 1] / self._seg_length[k]
        return (
            start[:, 0] + frac * step[:, 0] - uy * offset_m,
            start[:, 1] + frac * step[:, 1] + ux * offset_m,
        )

    def sample_near_line(
        self,
        rng: np.random.Generator,
        n: int,
        *,
        party: str | None,
        min_m: float,
        max_m: float,
        near: tuple[FloatArray, FloatArray] | None = None,
        spread_m: float = 0.0,
        reach_m: float = np.inf,
        what: str = "event",
        partial: bool = False,
    ) -> tuple[FloatArray, FloatArray]:
        """`n` points on a party's land (any land when None) at a distance in [min_m, max_m].

        With `near` (x and y arrays of n points), point i lies beside the line near point i:
        its position along the line has a normal spread `spread_m` around that point's, and
        it lies within `reach_m` of it. Otherwise positions are uniform along the line.
        Points off the ends of the line are never chosen. Raises AgreementError when no
        such land exists, or, with `partial`, leaves NaN where it found none.
        """

        def accept(x: FloatArray, y: FloatArray) -> BoolArray:
            owner = self.land_owner(x, y)
            good = owner.astype(bool) if party is None else np.asarray(owner == party, dtype=bool)
            return good & self.within_distance(x, y, min_m, max_m)

        def offsets(count: int) -> FloatArray:
            sign = rng.choice(np.array([-1.0, 1.0]), count)
            return np.asarray(rng.uniform(min_m, max_m, count) * sign, dtype=np.float64)

        failure = (
            f"cannot place {what}: the agreement has no land "
            f"{'held by ' + party + ' ' if party else ''}between {min_m / 1000:.1f} and "
            f"{max_m / 1000:.1f} km from the line of contact; check the line and the "
            "held areas of the agreement"
        )
        if near is None:
            return _sample_pool(
                n,
                lambda count: self.points_along(
                    rng.uniform(0.0, self.length_m, count), offsets(count)
                ),
                accept,
                failure=failure,
            )
        near_x, near_y = near
        along = self.along(near_x, near_y)

        def accept_near(x: FloatArray, y: FloatArray, index: NDArray[np.int64]) -> BoolArray:
            close = np.hypot(x - near_x[index], y - near_y[index]) <= reach_m
            good = np.zeros(x.shape, dtype=bool)
            good[close] = accept(x[close], y[close])
            return good

        def propose(index: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
            where = along[index] + rng.normal(0.0, max(spread_m, 1.0), index.size)
            return self.points_along(where, offsets(index.size))

        return _sample_slots(n, propose, accept_near, partial=partial, failure=failure)

    def sample_in_zone(
        self,
        rng: np.random.Generator,
        n: int,
        zone_id: str,
        *,
        party: str | None = None,
        max_m: float | None = None,
        what: str = "event",
    ) -> tuple[FloatArray, FloatArray]:
        """`n` points inside an exclusion zone, on `party`'s side of it when it has one."""
        area = self.exclusions[zone_id]
        minx, miny, maxx, maxy = area.bounds
        probe_x = rng.uniform(minx, maxx, 512)
        probe_y = rng.uniform(miny, maxy, 512)
        probe_in = self.in_zone(zone_id, probe_x, probe_y)
        own = probe_in & (self.side(probe_x, probe_y) == party)
        use_side = party is not None and own.sum() >= 0.05 * max(int(probe_in.sum()), 1)

        def accept(x: FloatArray, y: FloatArray) -> BoolArray:
            good = self.in_zone(zone_id, x, y)
            if use_side:
                good &= self.side(x, y) == party
            if max_m is not None:
                good &= self.distance(x, y) <= max_m
            return good

        def propose(count: int) -> tuple[FloatArray, FloatArray]:
            return rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)

        return _sample_pool(
            n,
            propose,
            accept,
            failure=f"cannot place {what} inside zone {zone_id!r}: the zone is empty or too far "
            "from the line of contact; check the zone's geometry file",
        )


def _sample_pool(
    n: int,
    propose: Callable[[int], tuple[FloatArray, FloatArray]],
    accept: Callable[[FloatArray, FloatArray], BoolArray],
    *,
    failure: str,
) -> tuple[FloatArray, FloatArray]:
    """n accepted candidates, drawn in batches sized by the acceptance rate seen so far."""
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    found = 0
    rate = 0.5
    for _ in range(_MAX_ROUNDS):
        if found >= n:
            break
        need = n - found
        cx, cy = propose(min(int(need / rate * 1.2) + 16, 4_000_000))
        good = accept(cx, cy)
        rate = max(float(good.mean()), 0.002)
        take = np.flatnonzero(good)[:need]
        xs.append(cx[take])
        ys.append(cy[take])
        found += take.size
    if found < n:
        raise AgreementError(failure)
    if not xs:
        return np.empty(0), np.empty(0)
    return np.concatenate(xs), np.concatenate(ys)


def _sample_slots(
    n: int,
    propose: Callable[[NDArray[np.int64]], tuple[FloatArray, FloatArray]],
    accept: Callable[[FloatArray, FloatArray, NDArray[np.int64]], BoolArray],
    *,
    failure: str,
    partial: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Fill n slots, each with its own proposal: each round proposes `per` candidates per
    open slot and keeps the first good one; with `partial`, slots left open stay NaN."""
    xs = np.full(n, np.nan)
    ys = np.full(n, np.nan)
    pending = np.arange(n, dtype=np.int64)
    per = 4
    for _ in range(_MAX_ROUNDS):
        if pending.size == 0:
            break
        index = np.repeat(pending, per)
        cx, cy = propose(index)
        good = accept(cx, cy, index).reshape(pending.size, per)
        found = good.any(axis=1)
        pick = np.flatnonzero(found) * per + good.argmax(axis=1)[found]
        xs[pending[found]] = cx[pick]
        ys[pending[found]] = cy[pick]
        pending = pending[~found]
        per = min(per * 2, 256)
    if pending.size and not partial:
        raise AgreementError(failure)
    return xs, ys


def _transform(
    geometry: BaseGeometry,
    transform: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
) -> BaseGeometry:
    def apply(coords: FloatArray) -> FloatArray:
        x, y = transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, apply)
