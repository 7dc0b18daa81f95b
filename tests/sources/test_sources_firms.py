"""The FIRMS adapter on every FIRMS column set: VIIRS NRT and archive, MODIS, reduced."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.observations.model import Credibility, Kind, Observation, Reliability
from truceline.sources.base import Rejection
from truceline.sources.firms import (
    DAY_UNCERTAINTY_S,
    TIME_UNCERTAINTY_S,
    FirmsAdapter,
    credibility_of_percent,
    detection_ref,
    pixel_radius_m,
    rounded_degrees,
)
from truceline.sources.registry import SourceRegistry

VIIRS_NRT = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,version,"
    "bright_ti5,frp,daynight,instrument\n"
)
VIIRS_ARCHIVE = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_ti5,frp,daynight,type\n"
)
MODIS = (
    "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_t31,frp,daynight,type\n"
)


def read(path: Path, received_at: datetime) -> list[Observation]:
    items = list(FirmsAdapter().read(path, received_at=received_at))
    assert all(isinstance(i, Observation) for i in items), [str(i) for i in items]
    return [i for i in items if isinstance(i, Observation)]


def test_viirs_nrt_row(tmp_path: Path, received_at: datetime) -> None:
    path = tmp_path / "viirs.csv"
    path.write_text(
        VIIRS_NRT + "48.53234,34.64774,305.95,0.47,0.64,2025-09-01,00:52:00,N20,nominal,2.0NRT,"
        "289.34,1.45,N,VIIRS\n"
    )
    (obs,) = read(path, received_at)
    assert obs.source_id == "firms-viirs-noaa20"
    assert obs.observed_at == datetime(2025, 9, 1, 0, 52, tzinfo=UTC)
    assert obs.time_uncertainty_s == TIME_UNCERTAINTY_S
    assert obs.kind is Kind.THERMAL_ANOMALY
    assert obs.credibility is Credibility.POSSIBLY_TRUE
    assert obs.reliability is Reliability.B
    assert obs.location_uncertainty_m == math.hypot(470, 640) / 2
    assert obs.received_at == received_at
    assert obs.attributes == {
        "bright_ti4": 305.95,
        "bright_ti5": 289.34,
        "frp": 1.45,
        "scan": 0.47,
        "track": 0.64,
        "satellite": "N20",
        "instrument": "VIIRS",
        "version": "2.0NRT",
        "daynight": "N",
        "confidence": "nominal",
    }


def test_viirs_archive_with_type_and_letters(tmp_path: Path, received_at: datetime) -> None:
    path = tmp_path / "archive.csv"
    path.write_text(
        VIIRS_ARCHIVE
        + "47.1,37.6,330.1,0.39,0.36,2022-03-05,52,N,VIIRS,h,2,290.1,5.2,N,0\n"
        + "47.2,37.7,330.1,0.39,0.36,2022-03-05,1107,N21,VIIRS,l,2,290.1,5.2,D,2\n"
        + "47.3,37.8,330.1,0.39,0.36,2022-03-05,0052,J1,VIIRS,n,2,290.1,5.2,N,0\n"
    )
    snpp, noaa21, noaa20 = read(path, received_at)
    assert (snpp.source_id, noaa21.source_id, noaa20.source_id) == (
        "firms-viirs-snpp",
        "firms-viirs-noaa21",
        "firms-viirs-noaa20",
    )
    assert snpp.observed_at == noaa20.observed_at == datetime(2022, 3, 5, 0, 52, tzinfo=UTC)
    assert noaa21.observed_at == datetime(2022, 3, 5, 11, 7, tzinfo=UTC)
    assert [o.credibility for o in (snpp, noaa21, noaa20)] == [
        Credibility.PROBABLY_TRUE,
        Credibility.DOUBTFUL,
        Credibility.POSSIBLY_TRUE,
    ]
    assert snpp.attributes["type"] == 0
    assert noaa21.attributes["type"] == 2


def test_modis_numeric_confidence(tmp_path: Path, received_at: datetime) -> None:
    path = tmp_path / "modis.csv"
    rows = [
        "48.1,37.5,320.5,1.2,1.1,2023-07-01,0833,Terra,MODIS,85,6.1NRT,299.1,20.3,D,0",
        "48.2,37.5,320.5,1.0,1.0,2023-07-01,1045,A,MODIS,50,6.1NRT,299.1,20.3,D,0",
        "48.3,37.5,320.5,2.0,1.5,2023-07-01,1045,Aqua,MODIS,12,6.1NRT,299.1,20.3,D,0",
    ]
    path.write_text(MODIS + "\n".join(rows) + "\n")
    high, nominal, low = read(path, received_at)
    assert {o.source_id for o in (high, nominal, low)} == {"firms-modis"}
    assert [o.credibility.value for o in (high, nominal, low)] == [2, 3, 4]
    assert high.attributes["confidence"] == 85
    assert high.attributes["brightness"] == 320.5
    assert nominal.location_uncertainty_m == math.hypot(1000, 1000) / 2
    assert low.location_uncertainty_m == math.hypot(2000, 1500) / 2


def test_reduced_file_in_upper_case(tmp_path: Path, received_at: datetime) -> None:
    path = tmp_path / "reduced.csv"
    path.write_text("LATITUDE,LONGITUDE,ACQ_DATE\n47.1005,37.6171,2022-01-01\n")
    (obs,) = read(path, received_at)
    assert obs.source_id == "firms-archive"
    assert obs.observed_at == datetime(2022, 1, 1, 12, tzinfo=UTC)
    assert obs.time_uncertainty_s == DAY_UNCERTAINTY_S == 43_200
    assert obs.credibility is Credibility.DOUBTFUL
    assert obs.location_uncertainty_m == pixel_radius_m(1.0, 1.0)
    assert obs.attributes == {}


def test_nominal_pixel_without_scan_and_track(tmp_path: Path, received_at: datetime) -> None:
    path = tmp_path / "viirs.csv"
    path.write_text("latitude,longitude,bright_ti4,acq_date,satellite\n48,37,300,2025-09-01,N\n")
    (obs,) = read(path, received_at)
    assert obs.location_uncertainty_m == pixel_radius_m(0.375, 0.375)


def test_unregistered_firms_source_is_rejected(tmp_path: Path, received_at: datetime) -> None:
    path = tmp_path / "reduced.csv"
    path.write_text("latitude,longitude,acq_date\n47.1,37.6,2022-01-01\n")
    (item,) = FirmsAdapter(SourceRegistry(())).read(path, received_at=received_at)
    assert isinstance(item, Rejection)
    assert (item.line, item.field) == (2, "source_id")


def test_sniffing(tmp_path: Path) -> None:
    assert FirmsAdapter.can_read(tmp_path / "x.csv", b"LATITUDE,LONGITUDE,ACQ_DATE\n1,2,3")
    assert FirmsAdapter.can_read(tmp_path / "x.txt", b"\xef\xbb\xbf" + VIIRS_NRT.encode())
    assert not FirmsAdapter.can_read(tmp_path / "x.csv", b"source_id,observed_at,lon,lat\n")


def test_credibility_classes() -> None:
    assert [credibility_of_percent(p).value for p in (0, 29, 30, 79, 80, 100)] == [4, 4, 3, 3, 2, 2]


coordinate = st.floats(min_value=-89.99, max_value=89.99, allow_nan=False)


@settings(max_examples=100)
@given(lat=coordinate, lon=coordinate, noise=st.floats(min_value=-4e-7, max_value=4e-7))
def test_detection_ref_ignores_float_noise(lat: float, lon: float, noise: float) -> None:
    """Rounding to 1e-5 degree makes float artefacts such as 48.282470000000004 irrelevant."""
    lat5, lon5 = repr(round(lat, 5)), repr(round(lon, 5))
    ref = detection_ref(lat5, lon5, "2025-09-01", "0052", "N20")
    noisy = repr(float(lat5) + noise), repr(float(lon5) + noise)
    assert detection_ref(*noisy, "2025-09-01", "0052", "N20") == ref
    assert detection_ref(lat5, lon5, "2025-09-02", "0052", "N20") != ref
    assert detection_ref(lat5, lon5, "2025-09-01", "0053", "N20") != ref


def _micro_text(micro: int) -> str:
    """A coordinate given in millionths of a degree, written with 6 decimals."""
    sign = "-" if micro < 0 else ""
    whole, fraction = divmod(abs(micro), 1_000_000)
    return f"{sign}{whole}.{fraction:06d}"


def _half_up_text(micro: int) -> str:
    """The same coordinate rounded half away from zero to 5 decimals, as FIRMS writes it."""
    tenth = (abs(micro) + 5) // 10
    sign = "-" if micro < 0 and tenth else ""
    whole, fraction = divmod(tenth, 100_000)
    return f"{sign}{whole}.{fraction:05d}"


@settings(max_examples=200)
@given(
    lat=st.integers(-89_999_999, 89_999_999).filter(lambda n: n % 10 != 5),
    lon=st.integers(-179_999_999, 179_999_999).filter(lambda n: n % 10 != 5),
)
def test_six_decimals_match_five_rounded(lat: int, lon: int) -> None:
    """A detection listed at 6 decimals and at 5 gets one reference."""
    six = detection_ref(_micro_text(lat), _micro_text(lon), "2022-06-28", "", "")
    five = detection_ref(_half_up_text(lat), _half_up_text(lon), "2022-06-28", "", "")
    assert six == five


@settings(max_examples=200)
@given(micro=st.integers(-17_999_999, 17_999_999).map(lambda n: 10 * n + 5))
def test_a_tie_in_print_goes_to_a_neighbour_symmetrically(micro: int) -> None:
    """x.xxxxx5 rounds to x.xxxxx or x.xxxx(x+1), and -x the same way as x."""
    rounded = rounded_degrees(_micro_text(micro))
    assert rounded in (_half_up_text(micro), _half_up_text(micro - (1 if micro > 0 else -1)))
    mirrored = rounded_degrees(_micro_text(-micro))
    assert float(mirrored) == -float(rounded)


def test_rounding_edge_cases() -> None:
    assert rounded_degrees("-0.000004") == "0.00000"
    assert rounded_degrees("0.003125") == "0.00313"  # an exact tie, also as a float
    assert rounded_degrees("-0.003125") == "-0.00313"
    assert rounded_degrees("4.8282465e1") == rounded_degrees("48.282465")
    assert rounded_degrees(" 48.282470000000004 ") == "48.28247"
    assert rounded_degrees("48.2824749") == "48.28247"
    with pytest.raises(ValueError, match="not a finite decimal number"):
        rounded_degrees("north")
    with pytest.raises(ValueError, match="not a finite decimal number"):
        rounded_degrees("nan")


@pytest.mark.parametrize(
    ("five", "six"),
    [
        # lines 73670 and 73820: half-up is right, a double rounds 49.333065 down
        (("49.33307", "37.07173"), ("49.333065", "37.071728")),
        # lines 73634 and 73813: a double is right, half-up rounds 32.782475 up
        (("47.15767", "32.78247"), ("47.157665", "32.782475")),
        # lines 73626 and 73818: both half-up and a double round 37.938225 up; FIRMS did not
        (("48.64962", "37.93822"), ("48.649624", "37.938225")),
    ],
)
def test_real_pairs_at_five_and_six_decimals_are_one_detection(
    tmp_path: Path, received_at: datetime, five: tuple[str, str], six: tuple[str, str]
) -> None:
    """Detections of the 2022 FIRMS history file listed twice, at 5 and at 6 decimals."""
    path = tmp_path / "pair.csv"
    path.write_text(
        f"LATITUDE,LONGITUDE,ACQ_DATE\n{','.join(five)},2022-06-28\n{','.join(six)},2022-06-28\n"
    )
    at_five, at_six = read(path, received_at)
    assert at_five.id == at_six.id
    assert (at_six.lat, at_six.lon) == (float(six[0]), float(six[1]))


@settings(max_examples=60)
@given(hour=st.integers(0, 23), minute=st.integers(0, 59), style=st.sampled_from(["int", "4", ":"]))
def test_every_time_style_gives_the_same_time(
    tmp_path_factory: pytest.TempPathFactory, hour: int, minute: int, style: str
) -> None:
    clock = {
        "int": str(hour * 100 + minute),
        "4": f"{hour:02d}{minute:02d}",
        ":": f"{hour:02d}:{minute:02d}:00",
    }[style]
    folder = tmp_path_factory.mktemp("t")
    path = folder / "f.csv"
    path.write_text(f"latitude,longitude,acq_date,acq_time,satellite\n48,37,2025-09-01,{clock},N\n")
    (obs,) = FirmsAdapter().read(path, received_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert isinstance(obs, Observation)
    assert obs.observed_at == datetime(2025, 9, 1, hour, minute, tzinfo=UTC)


def test_satellite_codes_of_one_satellite_give_one_detection(
    tmp_path: Path, received_at: datetime
) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(
        "latitude,longitude,acq_date,acq_time,satellite\n"
        "48.1,37.5,2025-09-01,0052,N20\n"
        "48.1,37.5,2025-09-01,52,J1\n"
        "48.1,37.5,2025-09-01,0052,T\n"
        "48.1,37.5,2025-09-01,0052,Terra\n"
        "48.1,37.5,2025-09-01,0052,Aqua\n"
    )
    n20, j1, t, terra, aqua = read(path, received_at)
    assert n20.id == j1.id
    assert t.id == terra.id != aqua.id
