"""The region or sector of a point, for counting violations by area.

Two ways, chosen by what the report is given:

- **regions** from a grid file: a CSV of points (``LATITUDE``, ``LONGITUDE`` and one column
  of region ids, e.g. ``OBLAST_ID``) spaced regularly, as the 0.1° grid of Ukraine's
  oblasts. A point takes the region of the nearest grid point, when that is within 1.5 grid
  steps; otherwise it is "outside the listed regions" (at sea, abroad). An optional names
  file (a CSV with the same id column and a name column) gives regions their names.
- **sectors along the line** otherwise: the line of contact is cut into stretches of
  `SECTOR_KM` (50 km), numbered from its southern end; a point takes the stretch of the
  nearest point of the line. A line in several parts numbers the parts by length, longest
  first ("part 2, km 0-50").
"""

from __future__ import annotations

import csv
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiLineString

from truceline.errors import InputError
from truceline.geometry.projection import LocalProjection

SECTOR_KM: Final = 50.0
"""Length of a sector along the line, kilometres."""

OUTSIDE: Final = "outside the listed regions"
"""The area of a point that no region of the grid covers."""

NAME_COLUMNS: Final = ("SUBDIVISION_NAME_EN", "NAME_EN", "NAME", "name")
"""Columns of a names file tried in turn for a region's name."""


class Areas(ABC):
    """Assigns points to named areas (regions or sectors), in a stable display order."""

    kind: str
    """What an area is called in the report: "region" or "sector"."""

    @abstractmethod
    def assign(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[str]:
        """The area of each point."""

    @abstractmethod
    def order(self, area: str) -> tuple[float, str]:
        """Sort key of an area in tables."""

    def marks(self) -> list[tuple[float, float, str]]:
        """Labelled points for the map (longitude, latitude, label); none by default."""
        return []

    def area_of(self, lon: float, lat: float) -> str:
        """The area of one point."""
        return self.assign(np.array([lon]), np.array([lat]))[0]


def _read_rows(path: Path, what: str) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what} file; check the path", field=what) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the {what} file ({exc})", field=what) from None
    if not rows:
        raise InputError(f"{path}: the {what} file is empty", field=what)
    return [h.strip() for h in rows[0]], rows[1:]


class RegionGrid(Areas):
    """Regions from a grid of points, each with the id of the region it lies in."""

    kind = "region"

    def __init__(
        self,
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        region_ids: Sequence[str],
        names: dict[str, str] | None = None,
    ) -> None:
        if len(lon) == 0:
            raise InputError("regions: the grid has no points", field="regions")
        self._ids = np.asarray(region_ids, dtype=object)
        self._names = names or {}
        self._lat0 = float(np.mean(lat))
        self._scale = math.cos(math.radians(self._lat0))
        self._tree = cKDTree(np.column_stack([lon * self._scale, lat]))
        steps = np.diff(np.unique(np.round(lat, 6)))
        step = float(np.min(steps)) if steps.size else 0.1
        self._reach = 1.5 * step

    @classmethod
    def from_csv(cls, path: Path, names_path: Path | None = None) -> RegionGrid:
        """A grid from a CSV of LATITUDE, LONGITUDE and a region id column; InputError
        naming the file, line and column for anything else."""
        header, rows = _read_rows(path, "regions")
        upper = [h.upper() for h in header]
        missing = [c for c in ("LATITUDE", "LONGITUDE") if c not in upper]
        if missing or len(header) < 3:
            raise InputError(
                f"{path}: expected the columns LATITUDE, LONGITUDE and a region id column "
                f"(e.g. OBLAST_ID); found {', '.join(header)}",
                field="regions",
            )
        i_lat, i_lon = upper.index("LATITUDE"), upper.index("LONGITUDE")
        i_id = next(i for i in range(len(header)) if i not in (i_lat, i_lon))
        lon = np.empty(len(rows))
        lat = np.empty(len(rows))
        ids: list[str] = []
        for n, row in enumerate(rows):
            line = n + 2
            if len(row) != len(header):
                raise InputError(
                    f"{path}, line {line}: expected {len(header)} columns, got {len(row)}",
                    field="regions",
                )
            for index, column, target in ((i_lat, "LATITUDE", lat), (i_lon, "LONGITUDE", lon)):
                try:
                    value = float(row[index])
                except ValueError:
                    value = math.nan
                limit = 90.0 if column == "LATITUDE" else 180.0
                if not math.isfinite(value) or abs(value) > limit:
                    raise InputError(
                        f"{path}, line {line}, column {column}: {row[index]!r} is not a "
                        f"number in [-{limit:g}, {limit:g}]",
                        field="regions",
                    )
                target[n] = value
            region = row[i_id].strip()
            if not region:
                raise InputError(
                    f"{path}, line {line}, column {header[i_id]}: the region id is empty",
                    field="regions",
                )
            ids.append(region)
        names = _read_names(names_path, header[i_id]) if names_path is not None else None
        return cls(lon, lat, ids, names)

    def assign(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[str]:
        if len(lon) == 0:
            return []
        distance, index = self._tree.query(np.column_stack([lon * self._scale, lat]))
        found = self._ids[index]
        return [
            self._names.get(str(region), str(region)) if d <= self._reach else OUTSIDE
            for region, d in zip(found, distance, strict=True)
        ]

    def order(self, area: str) -> tuple[float, str]:
        return (1.0 if area == OUTSIDE else 0.0, area)


def _read_names(path: Path, id_column: str) -> dict[str, str]:
    header, rows = _read_rows(path, "region names")
    if id_column not in header:
        raise InputError(
            f"{path}: expected a column {id_column!r} (as in the regions file); found "
            f"{', '.join(header)}",
            field="region_names",
        )
    name_column = next((c for c in NAME_COLUMNS if c in header), None)
    if name_column is None:
        raise InputError(
            f"{path}: expected a name column, one of {', '.join(NAME_COLUMNS)}",
            field="region_names",
        )
    i_id, i_name = header.index(id_column), header.index(name_column)
    return {row[i_id].strip(): row[i_name].strip() for row in rows if len(row) > max(i_id, i_name)}


class LineSectors(Areas):
    """Stretches of `sector_km` along the line of contact."""

    kind = "sector"

    def __init__(self, line: MultiLineString, sector_km: float = SECTOR_KM) -> None:
        if sector_km <= 0 or not math.isfinite(sector_km):
            raise InputError("sector_km: give a positive length", field="sector_km")
        parts = [p for p in shapely.get_parts(line) if not p.is_empty and p.length > 0]
        if not parts:
            raise InputError("line: the line of contact is empty", field="line")
        centre = shapely.centroid(line)
        self._projection = LocalProjection(float(centre.x), float(centre.y))
        projected = []
        for part in parts:
            coords = np.asarray(part.coords)
            x, y = self._projection.forward(coords[:, 0].copy(), coords[:, 1].copy())
            first, last = coords[0], coords[-1]
            southern_first = (first[1], first[0]) <= (last[1], last[0])
            xy = np.column_stack([x, y])
            projected.append(LineString(xy if southern_first else xy[::-1]))
        projected.sort(key=lambda p: (-round(p.length), p.coords[0]))
        self._parts = projected
        self._tree = shapely.STRtree(projected)
        crs = self._projection_crs(float(centre.x), float(centre.y))
        self._inverse = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
        self._metres = sector_km * 1000.0
        self._several = len(projected) > 1

    @staticmethod
    def _projection_crs(lon0: float, lat0: float) -> CRS:
        return CRS.from_dict(
            {"proj": "aeqd", "lat_0": lat0, "lon_0": lon0, "datum": "WGS84", "units": "m"}
        )

    def marks(self) -> list[tuple[float, float, str]]:
        """The sector boundaries along the line: "0", "50", "100" (km), and "part N" at the
        start of each further part."""
        found: list[tuple[float, float, str]] = []
        for index, part in enumerate(self._parts):
            distances = np.arange(0.0, part.length + 1.0, self._metres)
            points = shapely.line_interpolate_point(part, distances)
            lon, lat = self._inverse.transform(shapely.get_x(points), shapely.get_y(points))
            for k, (x, y) in enumerate(zip(lon, lat, strict=True)):
                label = f"{distances[k] / 1000:.0f}"
                if self._several and k == 0:
                    label = f"part {index + 1}"
                elif self._several and index > 0:
                    continue
                found.append((float(x), float(y), label))
        return found

    def _label(self, part: int, along_m: float) -> str:
        k = int(along_m // self._metres)
        start = k * self._metres / 1000.0
        stretch = f"km {start:.0f}-{start + self._metres / 1000.0:.0f}"
        return f"part {part + 1}, {stretch}" if self._several else stretch

    def assign(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[str]:
        if len(lon) == 0:
            return []
        x, y = self._projection.forward(np.asarray(lon, float), np.asarray(lat, float))
        points = shapely.points(x, y)
        nearest = self._tree.nearest(points)
        labels = []
        for point, part in zip(points, nearest, strict=True):
            along = float(self._parts[int(part)].project(point))
            labels.append(self._label(int(part), along))
        return labels

    def order(self, area: str) -> tuple[float, str]:
        part = 0.0
        rest = area
        if area.startswith("part "):
            head, _, rest = area.partition(", ")
            part = float(head.split()[1])
        km = float(rest.split()[1].split("-")[0])
        return (part * 1e6 + km, area)
