# One command to set up and run the app, one to set up and run the tests (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run serve test lint bench bench-nodes bench-startup screenshots clean

setup: $(STAMP)

# The JavaScript verifiers the interop tests run (xml-crypto, current and 0.8-era), pinned.
NODE_VERIFIERS := tests/interop/node

# Re-install whenever the dependency list changes.
$(STAMP): pyproject.toml scripts/system-deps.sh $(NODE_VERIFIERS)/package-lock.json
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	cd $(NODE_VERIFIERS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

# The desktop console with its embedded STS (it says so, and what to run instead, when
# there is no display).
run: $(STAMP)
	$(VENV)/bin/stsdesk

# Only the STS, in the foreground (for a machine without a display, or a server).
serve: $(STAMP)
	$(VENV)/bin/stsdesk serve --data-dir "$${STSDESK_DATA_DIR:-$$HOME/.local/share/stsdesk/server}"

# The README's pictures: every page and wizard step rendered offscreen at 1280x800.
screenshots: $(STAMP)
	STSDESK_SCREENSHOT_DIR=docs/screenshots QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider tests/ui

# A throwaway PostgreSQL on loopback for the multi-node tests, removed afterwards.
test: $(STAMP)
	@pgdir=$$(mktemp -d /tmp/stsdesk-pg.XXXXXX); \
	if bash scripts/postgres-test.sh start "$$pgdir"; then \
	  export STSDESK_TEST_POSTGRES_DIR="$$pgdir"; \
	else echo "PostgreSQL did not start; the PostgreSQL tests will start their own or skip" >&2; fi; \
	$(PY) -m pytest -q -p no:cacheprovider; status=$$?; \
	bash scripts/postgres-test.sh destroy "$$pgdir"; exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check stsdesk tests benchmarks
	$(VENV)/bin/mypy stsdesk/core stsdesk/server stsdesk/services

# The peer figure of the issuance benchmark: npm's saml package, pinned.
BENCH_PEER := benchmarks/node

bench: $(STAMP)
	command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq wrk || sudo apt-get install -y -qq wrk; }
	command -v openssl >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq openssl || sudo apt-get install -y -qq openssl; }
	cd $(BENCH_PEER) && npm ci --no-audit --no-fund --loglevel=error
	$(PY) benchmarks/bench_issue.py

# Issuance throughput: two nodes on one PostgreSQL beside one node on SQLite (README figures).
bench-nodes: $(STAMP)
	command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq wrk || sudo apt-get install -y -qq wrk; }
	$(PY) benchmarks/bench_nodes.py

# Launch to mapped main window of the real console under Xvfb, median of 5
# (benchmarks/results/startup.json; Xvfb and xdotool come from scripts/system-deps.sh).
bench-startup: $(STAMP)
	$(PY) benchmarks/bench_startup.py

clean:
	rm -rf $(VENV) build *.egg-info $(NODE_VERIFIERS)/node_modules $(BENCH_PEER)/node_modules
