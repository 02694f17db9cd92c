# Two commands on a fresh machine:  make run  |  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint typecheck pytest install system-packages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## PostgreSQL 15, Chromium and Dovecot for the tests (apt-get as root; else the command to run).
system-packages:
	tools/ensure-system-packages test

## Start the API on http://$(HOST):$(PORT) (default 127.0.0.1:8000; make run PORT=9000 HOST=0.0.0.0)
## with the SQLite default and the demo project.
run: install
	$(BIN)/accord demo --base-url http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
	$(BIN)/accord serve --host $(HOST) --port $(PORT) --mail-port 2525

## The whole suite: ruff (lint + format), mypy (strict on ledger/, projections/, api/), pytest (SQLite and PostgreSQL).
test: install system-packages lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install system-packages
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
