# Quick start: `make run` (the app on SQLite with demo data) and `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint fmt install migrate demo bench-list bench-search bench-pipeline-lists bench-customer-export bench-pool bench-commissions bench-export bench-aging bench-dashboards clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py rollups_rebuild

run: demo
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0 || true
	$(BIN)/python manage.py rundev

test: $(STAMP)
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-list: $(STAMP)
	$(BIN)/python bench/customer_list.py

bench-search: $(STAMP)
	$(BIN)/python bench/global_search.py

bench-pipeline-lists: $(STAMP)
	$(BIN)/python bench/pipeline_lists.py

bench-customer-export: $(STAMP)
	$(BIN)/python bench/customer_export.py

bench-pool: $(STAMP)
	$(BIN)/python bench/pool_sweep.py

bench-commissions: $(STAMP)
	$(BIN)/python bench/commission_run.py

bench-export: $(STAMP)
	$(BIN)/python bench/settlement_export.py

bench-aging: $(STAMP)
	$(BIN)/python bench/receivables_aging.py

bench-dashboards: $(STAMP)
	$(BIN)/python bench/dashboards.py

clean:
	rm -rf var db.sqlite3 staticfiles
