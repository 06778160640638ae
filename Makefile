# q3helpdesk — `make dev` to run it with demo data, `make test` to test it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1:8000

.PHONY: dev setup run worker test test-pg lint typecheck format check messages clean

## make dev: install, migrate, load demo data, start the worker and the server on 127.0.0.1:8000
dev: setup .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  q3helpdesk runs on http://$(HOST)/  (log in with a demo user above, password: demo)"
	@echo "  Administration: http://$(HOST)/admin/  (user admin)"
	@echo ""
	@$(MAKE) --no-print-directory run

## make setup: the virtual environment with every dependency (redone when pyproject.toml changes)
setup: $(STAMP)

$(STAMP): pyproject.toml
	@scripts/system-packages.sh --check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

.env:
	cp .env.example .env

## make run: the development server and the background worker together (Ctrl-C stops both)
run:
	@scripts/run-dev.sh $(HOST)

worker:
	$(BIN)/python manage.py db_worker

## make test: the whole test suite (SQLite unless DATABASE_URL says otherwise)
test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make typecheck: mypy with django-stubs over the apps (the settings of [tool.mypy])
typecheck: setup
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make messages: refresh the French and German translation catalogues, then compile them
messages: setup
	DEBUG=on $(BIN)/python manage.py makemessages -l fr -l de --no-obsolete --ignore=.venv --ignore=static
	DEBUG=on $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .test-media
