# Midoffice: `make run` starts the product with demo data; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MIDOFFICE_EMAIL_CORPUS_DIR ?= $(abspath ../shared/data/email-corpus)
# Labelled Dutch citizen mail the demo's routing model learns from (when present).
ROUTING_DATA ?= ../shared/data/classification/train.jsonl

.PHONY: setup run test lint types migrations-check pytest bench openapi config-docs clean

$(STAMP): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	# The E-ARK validator pins an older lxml than pyHanko needs; it runs on ours (ADR 14).
	$(BIN)/pip install -q --no-deps eark-validator==1.1.3
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

run: setup
	@mkdir -p var
	MIDOFFICE_DEBUG=true $(BIN)/midoffice migrate --no-input -v0
	MIDOFFICE_DEBUG=true $(BIN)/midoffice demo_data
	MIDOFFICE_DEBUG=true $(BIN)/midoffice classifier train --if-missing \
		$(if $(wildcard $(ROUTING_DATA)),--from-jsonl $(ROUTING_DATA))
	@echo
	@echo "  Midoffice runs on http://127.0.0.1:8000/"
	@echo "  staff workbench  http://127.0.0.1:8000/            (sofie / leemdonk-demo: handler, team Omgeving)"
	@echo "  admin            http://127.0.0.1:8000/admin/      (beheerder / leemdonk-demo)"
	@echo "  API docs         http://127.0.0.1:8000/api/docs/"
	@echo "  other demo staff: onthaal, jan, lotte, ahmed, karel, ines, archivaris (same password)"
	@echo "  dashboards       http://127.0.0.1:8000/analyse/    (directeur: every team; lotte: team Omgeving)"
	@echo "  Ctrl-C stops the web server, the worker and the scheduler."
	@echo
	MIDOFFICE_DEBUG=true exec $(BIN)/midoffice serve_all

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: setup
	MIDOFFICE_DEBUG=true $(BIN)/mypy

migrations-check: setup
	MIDOFFICE_DEBUG=true $(BIN)/midoffice makemigrations --check --dry-run

# Parallel pytest workers (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in one
# process (e.g. to debug a test).
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

pytest: setup
	bash scripts/test-system-deps.sh
	@# With a PostgreSQL leg to come, tests marked "once" wait for it (tests/conftest.py).
	env -u DATABASE_URL MIDOFFICE_TEST_ONCE_ELSEWHERE=$(if $(DATABASE_URL),1,0) $(PYTEST)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL"; \
		$(PYTEST); \
	else echo "DATABASE_URL not set: PostgreSQL run skipped"; fi

test: lint types migrations-check pytest

bench: setup
	$(BIN)/python bench/run.py

openapi: setup
	MIDOFFICE_DEBUG=true $(BIN)/midoffice spectacular --file docs/openapi.yaml --validate

config-docs: setup
	MIDOFFICE_DEBUG=true $(BIN)/midoffice config_docs

clean:
	rm -rf $(VENV) var
