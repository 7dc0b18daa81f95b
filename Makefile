# Two commands from nothing to running: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install services demo test lint bench fuzz clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# PostgreSQL + PostGIS, NATS, Chromium, GDAL: installed and started when missing.
services:
	bash scripts/services.sh

demo: install
	$(BIN)/truceline demo --db truceline-demo.sqlite --overwrite

lint: install
	$(BIN)/ruff check src tests benchmarks fuzz
	$(BIN)/ruff format --check src tests benchmarks fuzz
	$(BIN)/mypy

test: lint services
	$(BIN)/pytest

bench: install
	$(BIN)/python -m benchmarks

# Longer fuzzing than `make test` does: each atheris harness for FUZZ_SECONDS, then the
# SIGKILL crash test with thousands of kills.
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES := firms csv geojson agreement cap api

fuzz: install
	@for name in $(FUZZ_HARNESSES); do \
	  echo "fuzzing $$name for $(FUZZ_SECONDS) s"; \
	  mkdir -p .fuzz-corpus/$$name; \
	  $(BIN)/python fuzz/fuzz_$$name.py -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=.fuzz-corpus/$$name- .fuzz-corpus/$$name fuzz/seeds/$$name || exit 1; \
	done
	TRUCELINE_CRASH_KILLS=$(or $(CRASH_KILLS),2000) \
	TRUCELINE_CRASH_SERVICE_KILLS=$(or $(CRASH_SERVICE_KILLS),40) \
	  $(BIN)/pytest -q -p no:cacheprovider tests/hostile/test_hostile_crash.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .fuzz-corpus truceline-demo.sqlite
