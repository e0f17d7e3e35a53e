# ResolutionFlow — `make run` (embedded demo), `make test` (the whole suite, full stack) and
# `make stack` (the production topology on this machine).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/resolutionflow
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_ARGS ?=

.PHONY: venv run stack test lint services chromium clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "ERROR: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

# Embedded defaults: SQLite, in-memory channel layer, eager tasks, console email.
run: venv
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(PY) manage.py migrate --noinput
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(PY) manage.py seed_demo
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(PY) manage.py runserver 127.0.0.1:8000

# Production topology on one machine (Procfile, honcho): web processes on 8000 and 8001, two Celery
# workers and beat, PostgreSQL + Redis, DEBUG=0 (scripts/stack.sh, docs/operations.md). Ctrl-C stops it.
stack: venv
	VENV=$(VENV) scripts/stack.sh

services:
	@scripts/ensure-services.sh

chromium:
	@scripts/ensure-chromium.sh

# The whole suite against real PostgreSQL and Redis, in parallel workers.
test: venv services chromium
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=1 \
		$(PY) -m pytest -n auto $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
