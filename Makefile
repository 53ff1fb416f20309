# One command runs the app (make run) and one runs the tests (make test).
PYTHON_BIN ?= python3
VENV ?= .venv
PYTHON := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo lint format worker beat clean

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

test: install
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

clean:
	rm -rf $(VENV) var db.sqlite3
