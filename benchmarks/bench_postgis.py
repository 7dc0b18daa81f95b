"""The baseline: fusion and zone classification done in PostGIS on the local PostgreSQL.

What a team would write with PostGIS, and what it does:

1. load: the observations into a temporary table with COPY (longitude, latitude, time,
   domain, kind group), points projected to ETRS89-LAEA (EPSG:3035, metres);
2. fusion: `ST_ClusterDBSCAN(geom, eps => 1000 m, minpoints => 1)` over partitions of
   domain, kind group and hour (DBSCAN clusters in space only, so time enters as the
   partition), then one incident per cluster at the mean position;
3. zones: for every incident, its side (`ST_Intersects` with the held area, cut into
   pieces with `ST_Subdivide` under a GiST index) and its geodesic distance to the line
   (`ST_Distance` on geography, over the line's pieces within reach found with
   `ST_DWithin`, GiST index), from which the buffer and band memberships follow.

This is less work than Truceline does (one fixed radius instead of one per pair of
uncertainties, time in hour partitions, no vague tier, no confidence or attributes, no
distance beyond the widest band), so the ratio flatters the baseline.

    python -m benchmarks.bench_postgis [n]

Connection: TRUCELINE_BENCH_POSTGRES (default "host=127.0.0.1 port=5432 user=root
dbname=test"); everything lives in temporary tables of one session.
"""

from __future__ import annotations

import io
import os
import sys
import time

import numpy as np
import psycopg
import shapely

from truceline.agreement.loaded import LoadedAgreement
from truceline.fusion.parameters import DEFAULT
from truceline.observations.table import ObservationTable

DSN = os.environ.get("TRUCELINE_BENCH_POSTGRES", "host=127.0.0.1 port=5432 user=root dbname=test")
EPS_M = 1_000.0
"""DBSCAN radius: about the link distance of two satellite detections (375 m each)."""
ZONES_SAMPLE = 100_000
"""At most this many incidents are placed in zones; the time is scaled to all of them."""
COPY_CHUNK = 200_000
SUBDIVIDE_VERTICES = 64


class BaselineUnavailableError(RuntimeError):
    """PostgreSQL with PostGIS cannot be reached."""


def connect(dsn: str = DSN) -> psycopg.Connection[tuple[object, ...]]:
    """A connection with PostGIS enabled; BaselineUnavailableError says what to do if not."""
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        raise BaselineUnavailableError(
            f"the PostGIS baseline needs PostgreSQL with PostGIS at {dsn!r} ({exc}); start "
            "it, or set TRUCELINE_BENCH_POSTGRES to a database where CREATE EXTENSION postgis "
            "works"
        ) from None
    return conn


def _copy(conn: psycopg.Connection[tuple[object, ...]], table: ObservationTable) -> None:
    group = np.array(DEFAULT.group_of_kind(), dtype=np.int64)[table.kind]
    with conn.cursor() as cur, cur.copy("COPY obs (lon, lat, t, domain, grp) FROM STDIN") as copy:
        for lo in range(0, len(table), COPY_CHUNK):
            hi = min(lo + COPY_CHUNK, len(table))
            block = np.column_stack(
                (
                    table.lon[lo:hi],
                    table.lat[lo:hi],
                    table.t[lo:hi],
                    table.domain[lo:hi],
                    group[lo:hi],
                )
            )
            text = io.StringIO()
            np.savetxt(text, block, fmt=("%.7f", "%.7f", "%.3f", "%d", "%d"), delimiter="\t")
            copy.write(text.getvalue())


def run(
    table: ObservationTable,
    loaded: LoadedAgreement,
    dsn: str = DSN,
    *,
    zones_sample: int = ZONES_SAMPLE,
) -> dict[str, float]:
    """Seconds of each step in PostGIS, and the incidents and zone counts it finds.

    Zones are timed on every k-th incident, at most `zones_sample` of them, and the time is
    scaled to all incidents (PostGIS places about 3,000 incidents a second here)."""
    agreement = loaded.agreement
    widths = {"buffer": agreement.zones.buffer.width_km if agreement.zones.buffer else {}}
    reach_m = 1000.0 * max(
        [w for band in agreement.zones.withdrawal_bands for w in band.width_km.values()]
        + [w for w in widths["buffer"].values()]
    )
    held = shapely.union_all(list(loaded.held_areas.values()))
    with connect(dsn) as conn:
        conn.execute(
            "CREATE TEMP TABLE obs (lon float8, lat float8, t float8, domain int2, grp int2)"
        )
        conn.execute("CREATE TEMP TABLE line_parts (g geography)")
        conn.execute("CREATE TEMP TABLE held_parts (g geometry)")
        started = time.perf_counter()
        _copy(conn, table)
        conn.execute(
            "ALTER TABLE obs ADD COLUMN geom geometry;"
            "UPDATE obs SET geom = ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3035)"
        )
        load_s = time.perf_counter() - started

        started = time.perf_counter()
        conn.execute(
            "INSERT INTO line_parts SELECT ST_Subdivide(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326), "
            "%s)::geography",
            (shapely.to_geojson(loaded.line), SUBDIVIDE_VERTICES),
        )
        conn.execute(
            "INSERT INTO held_parts SELECT ST_Subdivide(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326), "
            "%s)",
            (shapely.to_geojson(held), SUBDIVIDE_VERTICES),
        )
        conn.execute("CREATE INDEX ON line_parts USING gist (g); ANALYZE line_parts")
        conn.execute("CREATE INDEX ON held_parts USING gist (g); ANALYZE held_parts")
        index_s = time.perf_counter() - started

        started = time.perf_counter()
        conn.execute(
            "CREATE TEMP TABLE incidents AS "
            "SELECT row_number() OVER () AS k, avg(lon) AS lon, avg(lat) AS lat, count(*) AS n "
            "FROM ("
            "  SELECT lon, lat, domain, grp, floor(t / 3600) AS hour, "
            "  ST_ClusterDBSCAN(geom, eps => %s, minpoints => 1) "
            "    OVER (PARTITION BY domain, grp, floor(t / 3600)) AS cid FROM obs"
            ") c GROUP BY domain, grp, hour, cid",
            (EPS_M,),
        )
        fusion_s = time.perf_counter() - started
        count = conn.execute("SELECT count(*) FROM incidents").fetchone()
        incidents = int(count[0]) if count is not None else 0  # type: ignore[call-overload]
        every = max(1, -(-incidents // zones_sample))

        started = time.perf_counter()
        row = conn.execute(
            "WITH placed AS ("
            "  SELECT EXISTS (SELECT 1 FROM held_parts h WHERE "
            "    ST_Intersects(h.g, ST_SetSRID(ST_MakePoint(i.lon, i.lat), 4326))) AS held,"
            "         (SELECT min(ST_Distance(l.g, ST_MakePoint(i.lon, i.lat)::geography)) "
            "          FROM line_parts l "
            "          WHERE ST_DWithin(l.g, ST_MakePoint(i.lon, i.lat)::geography, %s)) AS d "
            "  FROM incidents i WHERE i.k %% %s = 0) "
            "SELECT count(*), count(*) FILTER (WHERE held), count(d), "
            "       count(*) FILTER (WHERE d <= %s) FROM placed",
            (reach_m, every, 1000.0 * max(widths["buffer"].values(), default=0.0)),
        ).fetchone()
        placed_s = time.perf_counter() - started
    if row is None:
        raise BaselineUnavailableError("PostGIS returned no row for the zone query")
    placed, held_count, within_reach, in_buffer = (int(v) for v in row)  # type: ignore[call-overload]
    zones_s = placed_s * incidents / max(placed, 1)
    return {
        "load_s": round(load_s, 3),
        "index_s": round(index_s, 3),
        "fusion_s": round(fusion_s, 3),
        "zones_s": round(zones_s, 3),
        "fusion_and_zones_s": round(fusion_s + zones_s, 3),
        "incidents": float(incidents),
        "zones_placed": float(placed),
        "zones_placed_s": round(placed_s, 3),
        "placed_in_held_area": float(held_count),
        "placed_within_widest_band": float(within_reach),
        "placed_in_buffer": float(in_buffer),
        "eps_m": EPS_M,
    }


def main() -> None:
    """Run the baseline on synthetic observations and print its numbers."""
    from benchmarks.bench_fusion import synthetic_table
    from benchmarks.bench_pipeline import pipeline_agreement

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    for key, value in run(synthetic_table(n), pipeline_agreement()).items():
        print(f"{key:>30}: {value:,}")


if __name__ == "__main__":
    main()
