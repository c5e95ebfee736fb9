# Two commands do all the set-up: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := config.settings
# The suite runs in parallel, one PostgreSQL database and one Redis db per worker (tests/xdist_env.py).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test lint typecheck checks venv-dev clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Clearance needs Python 3.11 or newer: install python3.11 and re-run.")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
	  echo "PostgreSQL and Redis configured: starting web, Celery worker and beat (Procfile)."; \
	  exec $(BIN)/honcho start -f Procfile; \
	else \
	  echo "No DATABASE_URL/REDIS_URL: SQLite in var/ and tasks in-process."; \
	  exec $(BIN)/python manage.py runserver 127.0.0.1:8000; \
	fi

venv-dev: $(VENV)/.installed-dev

test: $(VENV)/.installed-dev
	@source scripts/test-services.sh && \
	  $(BIN)/ruff check . && \
	  $(BIN)/ruff format --check . && \
	  $(BIN)/mypy . && \
	  $(BIN)/python manage.py check && \
	  $(BIN)/python manage.py makemigrations --check --dry-run && \
	  $(BIN)/python -m pytest -p tests.xdist_env -n $(TEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) var
