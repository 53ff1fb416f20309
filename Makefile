# One command runs the app (make run) and one runs the tests (make test).
PYTHON_BIN ?= python3
VENV ?= .venv
PYTHON := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo lint format worker beat serve clean

$(VENV)/.installed: requirements.txt
	test -x $(PYTHON) || $(PYTHON_BIN) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PYTHON) manage.py migrate --no-input

demo: migrate
	$(PYTHON) manage.py load_demo_data

run: demo
	$(PYTHON) manage.py runserver $(HOST):$(PORT)

# axe-core for the browser tests' accessibility scans; npm writes .package-lock.json on each install.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

test: install node_modules/.package-lock.json
	$(PYTHON) -m ruff check .
	$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: install
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

format: install
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

worker: install
	$(VENV)/bin/celery -A techforlabour worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A techforlabour beat --loglevel=INFO

# Production processes from the Procfile (web, worker and beat) on PostgreSQL and
# Redis, after migrating and collecting static files. The settings need the
# variables of "Deploy" in README.md, from the environment or a .env file.
serve: install
	mkdir -p var
	DJANGO_SETTINGS_MODULE=techforlabour.settings.prod $(VENV)/bin/honcho run $(PYTHON) manage.py migrate --no-input
	DJANGO_SETTINGS_MODULE=techforlabour.settings.prod $(VENV)/bin/honcho run $(PYTHON) manage.py collectstatic --no-input
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/honcho start --port $(PORT)

clean:
	rm -rf $(VENV) var db.sqlite3
