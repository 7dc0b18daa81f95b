"""The report's figures, drawn with matplotlib (Agg, no display) as SVG text.

- `map_svg`: the line of contact, the areas each party holds, exclusion zones, the coverage
  gaps of the period and the period's incidents, coloured and shaped by status (so the map
  reads in black and white too).
- `trend_svg`: violations per period over the last thirty periods, clear and suspected
  breaches stacked, deconflicted activity as a line, periods without data shaded.

The SVG is deterministic: no creation date, and element ids from a fixed salt.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import matplotlib
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from shapely.geometry.base import BaseGeometry

from truceline.adjudication.determination import Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.reports.facts import MapPoint, TrendDay
from truceline.simulation.gaps import GapReason


@dataclass(frozen=True)
class Marker:
    """How one status is drawn."""

    color: str
    marker: str
    size: float
    label: str


STYLE: Final = {
    Status.CLEAR_BREACH: Marker("#b2182b", "^", 46, "clear breach"),
    Status.SUSPECTED_BREACH: Marker("#ef8a00", "o", 26, "suspected breach"),
    Status.DECONFLICTED: Marker("#2166ac", "s", 22, "deconflicted"),
    Status.NO_VIOLATION: Marker("#8c8c8c", ".", 8, "no violation"),
}
"""How each status is drawn; the most grave is drawn last, on top."""

PARTY_FILLS: Final = ("#f3e6d0", "#dfe8f0", "#e6efdc", "#efe0ea")
"""Fills of held areas, one per party in the agreement's order."""

_RC: Final[dict[Any, Any]] = {
    "svg.hashsalt": "truceline-report",
    "font.family": "DejaVu Sans",
    "font.size": 8.0,
    "axes.linewidth": 0.6,
}
_METADATA: Final = {"Date": None, "Creator": None}


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        FigureCanvasAgg(figure)
        figure.savefig(buffer, format="svg", metadata=_METADATA)
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _figure(width_in: float, height_in: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width_in, height_in), layout="constrained")


def _polygon_path(geometry: BaseGeometry) -> MplPath | None:
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for polygon in shapely.get_parts(geometry):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            ring_codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            ring_codes[0] = MplPath.MOVETO
            ring_codes[-1] = MplPath.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return None
    return MplPath(np.vstack(vertices), np.concatenate(codes))


def _add_area(axes: Axes, geometry: BaseGeometry, **style: object) -> None:
    path = _polygon_path(geometry)
    if path is not None:
        axes.add_patch(PathPatch(path, **style))


def _extent(
    loaded: LoadedAgreement, points: Sequence[MapPoint]
) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = loaded.line.bounds
    for zone in loaded.exclusions.values():
        b = zone.bounds
        min_lon, min_lat = min(min_lon, b[0]), min(min_lat, b[1])
        max_lon, max_lat = max(max_lon, b[2]), max(max_lat, b[3])
    if points:
        lon = np.array([p.lon for p in points])
        lat = np.array([p.lat for p in points])
        # points far from the line (a stray report abroad) do not shrink the map to a dot
        min_lon, max_lon = min(min_lon, float(lon.min())), max(max_lon, float(lon.max()))
        min_lat, max_lat = min(min_lat, float(lat.min())), max(max_lat, float(lat.max()))
    pad_lon = max(0.3, 0.06 * (max_lon - min_lon))
    pad_lat = max(0.2, 0.06 * (max_lat - min_lat))
    return min_lon - pad_lon, min_lat - pad_lat, max_lon + pad_lon, max_lat + pad_lat


def _scale_bar(axes: Axes, extent: tuple[float, float, float, float], lat0: float) -> None:
    width_km = (extent[2] - extent[0]) * 111.32 * math.cos(math.radians(lat0))
    nice = [10, 20, 50, 100, 200, 500]
    km = next((n for n in nice if n >= width_km / 6), nice[-1])
    length = km / (111.32 * math.cos(math.radians(lat0)))
    x0 = extent[0] + 0.04 * (extent[2] - extent[0])
    y0 = extent[1] + 0.04 * (extent[3] - extent[1])
    axes.plot([x0, x0 + length], [y0, y0], color="black", linewidth=2.0, solid_capstyle="butt")
    axes.annotate(
        f"{km} km",
        (x0 + length / 2, y0),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=7,
    )
    axes.annotate(
        "N",
        xy=(0.96, 0.95),
        xytext=(0.96, 0.86),
        xycoords="axes fraction",
        ha="center",
        fontsize=8,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 0.8},
    )


def map_svg(
    loaded: LoadedAgreement,
    points: Sequence[MapPoint],
    gap_areas: Sequence[tuple[GapReason, str]] = (),
    *,
    marks: Sequence[tuple[float, float, str]] = (),
) -> str:
    """The map of the period as SVG text."""
    extent = _extent(loaded, points)
    lat0 = (extent[1] + extent[3]) / 2
    aspect = 1 / math.cos(math.radians(lat0))
    width = 7.0
    ratio = (extent[3] - extent[1]) * aspect / (extent[2] - extent[0])
    height = float(np.clip(width * ratio, 3.0, 5.2)) + 0.9
    figure = _figure(width, height)
    axes = figure.add_subplot()
    box = shapely.box(*extent)
    handles: list[Patch | Line2D] = []
    parties = loaded.agreement.parties
    for i, party in enumerate(parties):
        area = loaded.held_areas.get(party.code)
        if area is None:
            continue
        fill = PARTY_FILLS[i % len(PARTY_FILLS)]
        _add_area(axes, shapely.intersection(area, box), facecolor=fill, edgecolor="none")
        handles.append(Patch(facecolor=fill, edgecolor="none", label=f"held by {party.code}"))
    cloud = [shapely.from_wkt(a) for r, a in gap_areas if r is GapReason.CLOUD]
    other = [shapely.from_wkt(a) for r, a in gap_areas if r is not GapReason.CLOUD]
    if cloud:
        union = shapely.intersection(shapely.union_all(cloud), box)
        _add_area(axes, union, facecolor="none", edgecolor="#8a949d", hatch="....", linewidth=0)
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#8a949d",
                hatch="....",
                label="cloud over satellite passes",
            )
        )
    if other:
        union = shapely.intersection(shapely.union_all(other), box)
        _add_area(axes, union, facecolor="none", edgecolor="#555555", hatch="////", linewidth=0.4)
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#555555",
                hatch="////",
                label="UAV or patrol coverage lost",
            )
        )
    for zone_id, area in sorted(loaded.exclusions.items()):
        _add_area(axes, area, facecolor="none", edgecolor="#6a3d9a", linewidth=0.9, linestyle="--")
        centre = shapely.point_on_surface(area)
        name = next((z.name for z in loaded.agreement.zones.exclusions if z.id == zone_id), zone_id)
        axes.text(centre.x, centre.y, name, color="#6a3d9a", fontsize=6.5, ha="center", va="center")
    if loaded.exclusions:
        handles.append(
            Line2D([], [], color="#6a3d9a", linestyle="--", linewidth=0.9, label="exclusion zone")
        )
    for part in shapely.get_parts(loaded.line):
        xy = np.asarray(part.coords)
        axes.plot(xy[:, 0], xy[:, 1], color="black", linewidth=1.1, solid_joinstyle="round")
    handles.insert(0, Line2D([], [], color="black", linewidth=1.1, label="line of contact"))
    for status in reversed(list(STYLE)):
        style = STYLE[status]
        chosen = [p for p in points if p.status is status]
        label = f"{style.label} ({len(chosen)})"
        if chosen:
            axes.scatter(
                [p.lon for p in chosen],
                [p.lat for p in chosen],
                s=style.size,
                c=style.color,
                marker=style.marker,
                edgecolors="white" if status is not Status.NO_VIOLATION else "none",
                linewidths=0.4,
                zorder=3 + STATUS_RANK[status],
            )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=style.marker,
                markersize=6 if status is not Status.NO_VIOLATION else 4,
                color=style.color,
                label=label,
            )
        )
    axes.set_xlim(extent[0], extent[2])
    axes.set_ylim(extent[1], extent[3])
    axes.set_aspect(aspect)
    axes.grid(color="#cccccc", linewidth=0.3)
    axes.xaxis.set_major_formatter(lambda v, _: f"{v:.1f}°E")
    axes.yaxis.set_major_formatter(lambda v, _: f"{v:.1f}°N")
    axes.tick_params(labelsize=6.5, length=2)
    for lon, lat, label in marks:
        axes.plot([lon], [lat], marker="|", color="black", markersize=5, zorder=2)
        axes.annotate(
            label,
            (lon, lat),
            xytext=(4, -3),
            textcoords="offset points",
            fontsize=5.5,
            color="#333333",
            zorder=2,
        )
    if marks:
        handles.append(
            Line2D([], [], linestyle="none", marker="|", color="black", label="km along the line")
        )
    _scale_bar(axes, extent, lat0)
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=3,
        fontsize=7,
        frameon=False,
    )
    return _svg(figure)


STATUS_RANK: Final = {
    Status.NO_VIOLATION: 0,
    Status.DECONFLICTED: 1,
    Status.SUSPECTED_BREACH: 2,
    Status.CLEAR_BREACH: 3,
}


def trend_svg(days: Sequence[TrendDay]) -> str:
    """The trend chart as SVG text: the last day is the reported period."""
    figure = _figure(7.0, 2.6)
    axes = figure.add_subplot()
    x = np.arange(len(days))
    clear = np.array([d.clear for d in days])
    suspected = np.array([d.suspected for d in days])
    deconflicted = np.array([d.deconflicted for d in days])
    has_data = np.array([d.has_data for d in days])
    top = max(1, int((clear + suspected).max(initial=0)), int(deconflicted.max(initial=0)))
    for i in np.flatnonzero(~has_data):
        axes.axvspan(i - 0.5, i + 0.5, facecolor="#e5e5e5", hatch="///", edgecolor="#bbbbbb", lw=0)
    if (~has_data).any():
        first = int(np.flatnonzero(~has_data)[0])
        last = int(np.flatnonzero(~has_data)[-1])
        axes.text((first + last) / 2, top * 0.5, "no data", ha="center", fontsize=7, color="#666")
    axes.bar(x, clear, color=STYLE[Status.CLEAR_BREACH].color, width=0.75, label="clear")
    axes.bar(
        x,
        suspected,
        bottom=clear,
        color=STYLE[Status.SUSPECTED_BREACH].color,
        width=0.75,
        label="suspected",
    )
    shown = np.where(has_data, deconflicted, np.nan)
    axes.plot(
        x,
        shown,
        color=STYLE[Status.DECONFLICTED].color,
        marker="s",
        markersize=2.5,
        linewidth=0.9,
        label="deconflicted",
    )
    axes.axvline(len(days) - 1, color="black", linewidth=0.5, linestyle=":")
    step = max(1, len(days) // 10)
    ticks = list(range(len(days) - 1, -1, -step))[::-1]
    axes.set_xticks(ticks, [f"{days[i].day.day} {days[i].day:%b}" for i in ticks])
    axes.set_xlim(-0.6, len(days) - 0.4)
    axes.set_ylim(0, top * 1.15)
    axes.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    axes.set_ylabel("per period")
    axes.grid(axis="y", color="#dddddd", linewidth=0.4)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=6.5, length=2)
    axes.legend(fontsize=7, frameon=False, ncols=3, loc="upper left")
    return _svg(figure)
