# The two commands of the README: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export XDG_RUNTIME_DIR ?= $(CURDIR)/.data/run

.PHONY: run test install migrate openapi lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@mkdir -p -m 700 $(XDG_RUNTIME_DIR)
	$(BIN)/xiaokang serve

# pytest's exit 5 (no tests collected) is a failure like any other non-zero exit.
test: $(STAMP)
	@mkdir -p -m 700 $(XDG_RUNTIME_DIR)
	$(BIN)/python -m pytest

migrate: $(STAMP)
	@mkdir -p -m 700 $(XDG_RUNTIME_DIR)
	$(BIN)/xiaokang migrate

openapi: $(STAMP)
	$(BIN)/python -m app.openapi_dump > openapi/openapi.json

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
