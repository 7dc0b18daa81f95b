#!/usr/bin/env bash
# Make sure what the tests talk to is installed and running: PostgreSQL 15 with PostGIS
# (127.0.0.1:5432, database `test`) and NATS with JetStream (127.0.0.1:4222), plus the
# Debian packages the tests drive: HarfBuzz subsetting for WeasyPrint's PDF fonts, GDAL's
# ogrinfo (a GIS client of the OGC API) and Chromium (the dashboard's browser tests).
set -euo pipefail

PACKAGES=(postgresql-15-postgis-3 libharfbuzz-subset0 gdal-bin chromium chromium-driver)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
    echo "starting NATS" >&2
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
