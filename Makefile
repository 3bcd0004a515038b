# Lexicon — the two commands are `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
EXAMPLE_TARGET := examples/saas_analytics/target
DEMO_QUERYLOG := examples/demo_querylog/snowflake_query_history.csv

.PHONY: run test install demo migrate lint format ci bench-ingest clean

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput

# Loads the example project (demo users, dbt artifacts, query log) into the local catalog, with
# its timestamps moved to the present; running it again adds nothing twice. HOST and PORT reach
# the commands so that links in the emails they print point where `make run` serves.
RUN_ENV = DEBUG=$${DEBUG:-true} HOST=$(HOST) PORT=$(PORT)
demo: migrate
	$(RUN_ENV) $(PY) manage.py create_demo_users
	$(RUN_ENV) $(PY) manage.py load_demo --target $(EXAMPLE_TARGET) --querylog $(DEMO_QUERYLOG)

run: demo
	@echo "Lexicon on http://$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)):$(PORT)/  (sign in as viewer / viewer-demo-pass, admin / admin-demo-pass)"
	$(RUN_ENV) $(PY) manage.py runserver $(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)):$(PORT)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var/*.sqlite3* var/staticfiles
