"""A fictional theatre: a wiggly line of contact from a coast inland, and its agreement.

Blue Forces (BLU) hold the land west of the line, Red Forces (RED) the land east of it. The
line starts at the coast of a sea in the south and runs about 350 km north. A maritime
exclusion zone (MEZ-1) lies off the coast and a no-fly zone (NFZ-1) spans a stretch of the
line. The agreement's terms follow Minsk II: heavy weapons withdrawn by class, a
demilitarised buffer, and a ban on fire near the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import (
    ANYWHERE,
    BUFFER,
    WITHDRAWAL,
    Agreement,
    BufferZone,
    ClearBreachThreshold,
    ExclusionZone,
    LineOfContact,
    Party,
    PermittedActivity,
    ProhibitedAct,
    ResponseTier,
    ResponseTrigger,
    Severity,
    WeaponClass,
    WithdrawalBand,
    Zones,
)
from truceline.observations.model import Domain, Kind

CENTRE_LON = 33.3
CENTRE_LAT = 47.8
"""Centre of the fictional theatre (WGS 84); all its geometry is built in metres around it."""

_X_MIN, _X_MAX = -190_000.0, 200_000.0
_Y_TOP = 144_500.0
_Y_COAST = -139_000.0
_LINE_START_X, _LINE_END_X = -45_000.0, 55_000.0
_LINE_STEP_M = 400.0
_WIGGLES = ((200_000.0, 15_000.0), (80_000.0, 6_000.0), (30_000.0, 2_500.0), (12_000.0, 800.0))
"""(wavelength, amplitude) of the line's lateral meanders, metres."""

WEAPON_CLASSES: tuple[WeaponClass, ...] = (
    WeaponClass(
        code="artillery_100mm_plus",
        description="Artillery of calibre 100 mm and above",
        examples=["2S1 Gvozdika 122 mm", "D-30 122 mm", "2A65 Msta-B 152 mm"],
        min_calibre_mm=100,
    ),
    WeaponClass(
        code="mlrs",
        description="Multiple launch rocket systems",
        examples=["BM-21 Grad 122 mm"],
    ),
    WeaponClass(
        code="heavy_mlrs",
        description="Heavy multiple launch rocket systems and tactical missile systems",
        examples=["Tornado-S", "Uragan", "Smerch", "Tochka-U"],
    ),
    WeaponClass(
        code="light_heavy_weapons",
        description="Tanks, artillery below 100 mm and mortars up to 120 mm",
        examples=["T-72", "MT-12 100 mm anti-tank gun", "2B11 120 mm mortar"],
        max_calibre_mm=120,
    ),
)
"""Weapon classes of the Minsk II package of measures (point 2 and its annex)."""

BAND_WIDTHS_KM: dict[str, float] = {
    "artillery_100mm_plus": 25.0,
    "mlrs": 35.0,
    "heavy_mlrs": 70.0,
    "light_heavy_weapons": 15.0,
}
"""Withdrawal distance from the line, per side, by weapon class (Minsk II)."""

BUFFER_WIDTH_KM = 2.0


def minsk_style_agreement(
    *,
    agreement_id: str,
    title: str,
    parties: Sequence[Party],
    line: LineOfContact,
    exclusions: Sequence[ExclusionZone] = (),
    effective_from: datetime = datetime(2025, 8, 1, tzinfo=UTC),
) -> Agreement:
    """An agreement with Minsk II style terms for any parties and line of contact.

    No-fly and maritime rules are included only when zones of that type are given.
    """
    codes = [p.code for p in parties]
    per_side = dict.fromkeys(codes, BUFFER_WIDTH_KM)
    no_fly = [z.id for z in exclusions if z.type == "no_fly"]
    maritime = [z.id for z in exclusions if z.type == "maritime"]
    acts = [
        ProhibitedAct(
            code="CV-FIRE",
            title="Fire across the line",
            description="Any firing, shelling, launch or explosion near the line of contact.",
            kinds=[Kind.EXPLOSION, Kind.IMPACT, Kind.LAUNCH, Kind.SMALL_ARMS_FIRE],
            zones=[ANYWHERE],
            within_km=40,
            severity=Severity.HIGH,
        ),
        ProhibitedAct(
            code="HW-WITHDRAWAL",
            title="Heavy weapon inside its withdrawal band",
            description="A heavy weapon seen closer to the line than its class allows.",
            kinds=[Kind.WEAPON_SIGHTING],
            zones=[WITHDRAWAL],
            severity=Severity.HIGH,
        ),
        ProhibitedAct(
            code="DMZ-PRESENCE",
            title="Armed presence in the buffer",
            description="Armed personnel, weapons or military movement in the buffer zone.",
            kinds=[Kind.ARMED_PRESENCE, Kind.WEAPON_SIGHTING, Kind.MOVEMENT],
            zones=[BUFFER],
            severity=Severity.MEDIUM,
        ),
    ]
    if no_fly:
        acts.append(
            ProhibitedAct(
                code="NFZ-AIR",
                title="Military aircraft in the no-fly zone",
                description="A military aircraft or drone of a party inside a no-fly zone.",
                kinds=[Kind.AIRCRAFT],
                zones=no_fly,
                domains=[Domain.AIR],
                severity=Severity.HIGH,
            )
        )
    if maritime:
        acts.append(
            ProhibitedAct(
                code="MEZ-SEA",
                title="Military vessel in the maritime exclusion zone",
                description="A military vessel of a party inside a maritime exclusion zone.",
                kinds=[Kind.VESSEL],
                zones=maritime,
                domains=[Domain.SEA],
                severity=Severity.MEDIUM,
            )
        )
    return Agreement(
        id=agreement_id,
        version=1,
        title=title,
        effective_from=effective_from,
        parties=list(parties),
        line=line,
        weapon_classes=list(WEAPON_CLASSES),
        zones=Zones(
            buffer=BufferZone(width_km=per_side),
            withdrawal_bands=[
                WithdrawalBand(weapon_class=code, width_km=dict.fromkeys(codes, km))
                for code, km in BAND_WIDTHS_KM.items()
            ],
            exclusions=list(exclusions),
        ),
        prohibited_acts=acts,
        permitted_activities=[
            PermittedActivity(
                code="DEMINING",
                description="Humanitarian demining, including controlled explosions.",
                kinds=[Kind.EXPLOSION, Kind.ARMED_PRESENCE, Kind.MOVEMENT],
                exempts=["CV-FIRE", "DMZ-PRESENCE"],
                notice_hours=24,
            ),
            PermittedActivity(
                code="REPAIRS",
                description="Repairs of water, power and gas lines in the buffer.",
                kinds=[Kind.MOVEMENT, Kind.ARMED_PRESENCE],
                exempts=["DMZ-PRESENCE"],
                notice_hours=24,
            ),
            PermittedActivity(
                code="ROTATION",
                description="Rotation of personnel at positions in the buffer.",
                kinds=[Kind.MOVEMENT],
                exempts=["DMZ-PRESENCE"],
                notice_hours=48,
            ),
        ],
        clear_breach=ClearBreachThreshold(min_confidence=0.9, min_independent_sources=2),
        response_protocol=[
            ResponseTier(
                name="Notify the coordination cell",
                trigger=ResponseTrigger(clear_breach=True),
                deadline_hours=1,
            ),
            ResponseTier(
                name="Consultation with the parties",
                trigger=ResponseTrigger(clear_breach=True, min_severity=Severity.MEDIUM),
                deadline_hours=24,
            ),
            ResponseTier(
                name="Joint statement of the coalition",
                trigger=ResponseTrigger(clear_breach=True, min_severity=Severity.HIGH),
                deadline_hours=72,
            ),
        ],
    )


def generate_theatre(seed: int = 7) -> LoadedAgreement:
    """A fictional theatre and its agreement; the same seed gives the same theatre."""
    rng = np.random.default_rng(seed)
    coast = _Coast(rng)
    line = _line_of_contact(rng, coast)
    start = line[0]

    coast_x = np.arange(_X_MIN, _X_MAX + 1.0, 1_000.0)
    west = coast_x[coast_x < start[0] - 1.0]
    east = coast_x[coast_x > start[0] + 1.0]
    blu = Polygon(np.vstack([line, [[_X_MIN, _Y_TOP]], np.column_stack([west, coast(west)])]))
    red = Polygon(
        np.vstack([line, [[_X_MAX, _Y_TOP]], np.column_stack([east[::-1], coast(east[::-1])])])
    )

    mez_x = np.linspace(start[0] - 70_000.0, start[0] + 50_000.0, 25)
    mez_top = float(coast(mez_x).min()) - 4_000.0
    mez = Polygon(
        [
            (mez_x[0], mez_top),
            (mez_x[-1], mez_top),
            (mez_x[-1] - 15_000.0, mez_top - 45_000.0),
            (mez_x[0] + 10_000.0, mez_top - 45_000.0),
        ]
    )
    contact = LineString(line)
    nfz = substring(contact, 0.45, 0.65, normalized=True).buffer(20_000.0, quad_segs=8)

    to_lonlat = _LonLat()
    parties = [
        Party(code="BLU", name="Blue Forces", adjective="Blue"),
        Party(code="RED", name="Red Forces", adjective="Red"),
    ]
    exclusions = [
        ExclusionZone(id="NFZ-1", type="no_fly", name="No-fly zone 1", file="nfz-1.geojson"),
        ExclusionZone(
            id="MEZ-1", type="maritime", name="Maritime exclusion zone 1", file="mez-1.geojson"
        ),
    ]
    agreement = minsk_style_agreement(
        agreement_id="blue-red-ceasefire",
        title="Ceasefire between Blue Forces and Red Forces (simulated theatre)",
        parties=parties,
        line=LineOfContact(
            file="line_of_contact.geojson",
            held_areas={"BLU": "blu_held.geojson", "RED": "red_held.geojson"},
            rest_held_by="BLU",
        ),
        exclusions=exclusions,
    )
    return LoadedAgreement(
        agreement=agreement,
        line=MultiLineString([to_lonlat(contact)]),
        held_areas={"BLU": _multi(to_lonlat(blu)), "RED": _multi(to_lonlat(red))},
        exclusions={"NFZ-1": _multi(to_lonlat(nfz)), "MEZ-1": _multi(to_lonlat(mez))},
    )


class _Coast:
    """The coastline: y (m) as a smooth function of x (m); the sea lies south of it."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._phases = rng.uniform(0.0, 2 * np.pi, 2)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(
            _Y_COAST
            + 4_000.0 * np.sin(2 * np.pi * x / 90_000.0 + self._phases[0])
            + 1_500.0 * np.sin(2 * np.pi * x / 31_000.0 + self._phases[1]),
            dtype=np.float64,
        )


def _line_of_contact(rng: np.random.Generator, coast: _Coast) -> np.ndarray:
    """Vertices (m) of a line from the coast to the top of the theatre, meandering east-west.

    y grows strictly along the line, so it never crosses itself or the coast.
    """
    y_start = float(coast(np.array([_LINE_START_X]))[0])
    span = _Y_TOP - y_start
    t = np.linspace(0.0, 1.0, int(span / _LINE_STEP_M) + 1)
    x = _LINE_START_X + t * (_LINE_END_X - _LINE_START_X)
    for wavelength, amplitude in _WIGGLES:
        a = amplitude * rng.uniform(0.7, 1.3)
        f = span / wavelength * rng.uniform(0.85, 1.15)
        phase = rng.uniform(0.0, 2 * np.pi)
        wave = np.sin(2 * np.pi * f * t + phase)
        x += a * (wave - (1 - t) * np.sin(phase) - t * np.sin(2 * np.pi * f + phase))
    return np.column_stack([x, y_start + t * span])


class _LonLat:
    """Turns geometry in the theatre's metres into WGS 84 longitude/latitude (6 decimals)."""

    def __init__(self) -> None:
        crs = CRS.from_proj4(
            f"+proj=aeqd +lat_0={CENTRE_LAT} +lon_0={CENTRE_LON} +datum=WGS84 +units=m +no_defs"
        )
        self._transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)

    def __call__(self, geometry: BaseGeometry) -> BaseGeometry:
        def apply(coords: np.ndarray) -> np.ndarray:
            lon, lat = self._transformer.transform(coords[:, 0], coords[:, 1])
            return np.round(np.column_stack([lon, lat]), 6)

        return shapely.transform(geometry, apply)


def _multi(geometry: BaseGeometry) -> MultiPolygon:
    if isinstance(geometry, MultiPolygon):
        return geometry
    return MultiPolygon([geometry])
