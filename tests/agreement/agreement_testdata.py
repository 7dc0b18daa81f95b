"""Test data for the agreement tests: the example template set up beside real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

import truceline.agreement
from truceline.agreement.derive_line import fitted_crs

EXAMPLES = Path(truceline.agreement.__file__).parent / "examples"
TEMPLATE = EXAMPLES / "minsk_ii_template.yaml"
DATE = "20250901"


def occupied_file(shared_data: Path, date: str = DATE) -> Path:
    return shared_data / "contact_line" / f"deepstate_occupied_{date}.geojson"


def line_file(shared_data: Path, date: str = DATE) -> Path:
    return shared_data / "contact_line" / f"line_of_contact_{date}.geojson"


def outline_file(shared_data: Path) -> Path:
    return shared_data / "boundaries" / "ukraine_outline.geojson"


def template_folder(folder: Path, shared_data: Path) -> Path:
    """The template and its illustrative zones in `folder`, with the real line and area."""
    folder.mkdir(parents=True, exist_ok=True)
    for example in EXAMPLES.iterdir():
        shutil.copyfile(example, folder / example.name)
    shutil.copyfile(line_file(shared_data), folder / "line_of_contact.geojson")
    shutil.copyfile(occupied_file(shared_data), folder / "occupied.geojson")
    return folder / TEMPLATE.name


def variant(template: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """A copy of the template beside it with text replaced; each old text must be there."""
    text = template.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, f"the template no longer contains {old!r}"
        text = text.replace(old, new, 1)
    path = template.parent / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of the file that contains `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in {path}")


def projected(geometry: BaseGeometry, bounds: tuple[float, float, float, float]) -> BaseGeometry:
    """The geometry in metres, in the CRS derive_line uses for these bounds."""
    transformer = Transformer.from_crs("EPSG:4326", fitted_crs(bounds), always_xy=True)

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, apply)


def distance_km(
    line: BaseGeometry, lon: float, lat: float, bounds: tuple[float, float, float, float]
) -> float:
    """Distance from a lon/lat point to a lon/lat line, km."""
    return float(projected(line, bounds).distance(projected(Point(lon, lat), bounds))) / 1000
