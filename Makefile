# The README's two commands: `make run` serves the demo, `make test` runs what
# CI runs. Each first builds what it needs (.venv, npm tools), and skips that
# when it is already up to date.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
NPM_STAMP := $(VENV)/.installed-npm
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
PYTEST_ARGS ?=
RUN_ADDR ?= 127.0.0.1:8000

.DEFAULT_GOAL := help
.PHONY: help run test FORCE

help:
	@echo "make run   serve the demo on http://127.0.0.1:8000 (SQLite, tasks in-process, SMS printed)"
	@echo "make test  run the tests and the checks CI runs"
	@echo "           (on PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set)"

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create $(VENV): install Python 3.11 with venv (apt-get install python3-venv)"; \
		exit 1; }

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) -r requirements-dev.txt
	@touch $@ $(RUNTIME_STAMP)

# Prism and Twilio's API descriptions, for the tests only. A node_modules that
# is a symlink belongs to another checkout and is used as it is.
PRISM_MISSING := $(if $(wildcard node_modules/.bin/prism),,FORCE)
$(NPM_STAMP): package.json package-lock.json $(PRISM_MISSING) | $(BIN)/python
	@if [ -L node_modules ]; then echo "node_modules is a symlink; using it as it is"; \
	else npm ci --ignore-scripts --no-audit --no-fund; fi
	@touch $@

run: export DJANGO_DEBUG := 1
# Webhook signatures are checked over the public URL; in the demo that is the
# address the development server listens on, unless PUBLIC_BASE_URL says else.
run: export PUBLIC_BASE_URL ?= http://$(RUN_ADDR)
run: $(RUNTIME_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(RUN_ADDR)

test: export DJANGO_SETTINGS_MODULE := clientbay.settings.test
test: $(DEV_STAMP) $(NPM_STAMP)
	$(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python tools/check_function_length.py

FORCE:
