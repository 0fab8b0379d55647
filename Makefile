# Two commands set everything up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
# the address the dashboard listens on: loopback unless you say otherwise (make run ADDRESS=0.0.0.0 serves a class)
ADDRESS ?= 127.0.0.1

.PHONY: run test lint format bench system screenshot clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

## Start the dashboard at http://$(ADDRESS):$(PORT)
run: $(STAMP)
	$(VENV)/bin/streamlit run dashboard.py --server.address $(ADDRESS) --server.port $(PORT)

## Debian packages the tests use: Chromium for the browser tests, Graphviz's dot for SVG export.
system:
	@if ! command -v chromium >/dev/null || ! command -v dot >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium graphviz >/dev/null; fi

## Lint, format check, type check (mypy on micrograd/) and the whole test suite (browser tests included).
test: $(STAMP) system
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Benchmarks (engines, then the dashboard in Chromium); docs/benchmarks.md records one run of each.
bench: $(STAMP) system
	$(PY) bench/run.py
	$(PY) bench/browser.py

## Refresh docs/screenshot-train.png (the README's picture) from the real-browser test.
screenshot: $(STAMP) system
	UPDATE_SCREENSHOT=1 $(PY) -m pytest -q tests/test_browser.py -k moons

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
