# Two commands for a fresh machine with Python 3.11:
#   make run   — set up .venv and start the dashboard on data/tpm.duckdb (seeded with the samples)
#   make test  — set up .venv (with test tools), lint (ruff) and run all tests, including the browser test
#   make lint  — ruff's lint alone (settings in pyproject.toml); `make fix` applies its safe fixes
#   make serve — hosted mode on this machine: login required, reachable from the network (docs/hosting.md)
#   make mutation — mutation testing of the metrics, the compact tables and the scale detection (docs/development.md "Mutation testing")
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run serve test lint fix verify bench mutation chromium libreoffice samples clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/python -m tpm seed
	$(BIN)/streamlit run serve.py --server.address 127.0.0.1 --server.port $${PORT:-8501}

# Hosted mode: login with the built-in users (create the first: .venv/bin/python -m tpm users add NAME --role admin),
# or TPM_AUTH=oidc with [auth] in .streamlit/secrets.toml. Put a TLS reverse proxy in front of it.
# serve.py puts the web gate (tpm/gate.py) in front of app.py: login page /_tpm/login, a login cookie for
# TPM_SESSION_HOURS (12), TPM_ALLOWED_HOSTS=tpm.example.com to answer only to that host name.
serve: $(VENV)/.runtime
	TPM_AUTH=$${TPM_AUTH:-password} $(BIN)/streamlit run serve.py --server.address $${ADDRESS:-0.0.0.0} --server.port $${PORT:-8501}

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "The browser test needs Debian's chromium: sudo apt-get install chromium"; exit 1; fi; fi

# the report test converts the workbook and the deck to PDF with headless LibreOffice (and reads it with poppler)
libreoffice:
	@if [ ! -x /usr/bin/soffice ] || [ ! -x /usr/bin/pdftoppm ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc libreoffice-impress poppler-utils; \
	  else echo "The report test needs LibreOffice: sudo apt-get install libreoffice-calc libreoffice-impress poppler-utils"; exit 1; fi; fi

# Lint first (about a second): a finding stops the run before the five minutes of tests. Only the lint is
# checked; `ruff format` is for new and touched code (the pre-commit hook), see CONTRIBUTING.md.
lint: $(VENV)/.dev
	$(BIN)/ruff check .

fix: $(VENV)/.dev
	$(BIN)/ruff check --fix .

test: lint chromium libreoffice
	$(BIN)/python -m pytest -q -n 2 -m "not load"

# The property tests with many more random examples (studies, filters, scales): the differential test of every
# figure against plain pandas (tests/test_differential.py) runs 150 studies instead of 4 (~10 min on 2 cores);
# and the load run (tests/test_load.py: two browser sessions, a CLI import and an upload against one server)
verify: $(VENV)/.dev
	$(BIN)/python -m pytest -q -n 2 --hypothesis-profile=verify \
		tests/test_differential.py tests/test_csv_property.py tests/test_scales_truth.py tests/test_load.py

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/drivers.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/pages.py --rows 10000000 --no-unweighted

# Mutation testing (mutmut, settings in pyproject.toml [tool.mutmut]): mutants of the figures' code, each run
# against the tests that reach the mutated function; then the kill rate per module and the mutations issue #20 found alive, re-applied.
# Not part of `make test`. A subset: make mutation MUTANTS='tpm.metrics.nps.*'; cores: JOBS=1. Every mutant matching
# MUTANTS is checked anew on each run; results stay in mutants/ (`.venv/bin/mutmut browse` shows each survivor).
MUTANTS ?= tpm.metrics.* tpm.compact.* tpm.gram.* tpm.ingest.scales.* tpm.ingest.detect.x_scale_from_header* \
	tpm.ingest.detect.x__smallest_fitting* tpm.ingest.detect.x_infer_scale* tpm.ingest.detect.x__label_scale* \
	tpm.ingest.detect.x__evaluative*
mutation: $(VENV)/.dev
	$(BIN)/mutmut run --max-children $${JOBS:-2} $(foreach m,$(MUTANTS),'$(m)')
	$(BIN)/python tests/mutation/kill_rate.py $(foreach m,$(MUTANTS),'$(m)')
	$(BIN)/python tests/mutation/named.py

samples: $(VENV)/.runtime
	$(BIN)/python sample_surveys/generate.py
	$(BIN)/python sample_surveys/generate_hotline.py

clean:
	rm -rf $(VENV) .pytest_cache
