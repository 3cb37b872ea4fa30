# The two commands of the README: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export XDG_RUNTIME_DIR ?= $(CURDIR)/.data/run

.PHONY: run test install migrate openapi lint bench clean lock wheel

# Dependencies come from the lock file (requirements/dev.txt: exact versions with hashes); the
# project itself is installed on top without resolving anything again.
$(STAMP): pyproject.toml requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
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

# Rewrite the lock files from pyproject.toml's ranges (uv resolves for every platform at once):
# requirements/prod.txt for the image, requirements/dev.txt for make run / make test and CI.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(UV_COMPILE) -o requirements/prod.txt
	$(UV_COMPILE) --extra dev --extra embedded -o requirements/dev.txt

# The wheel the image installs (migrations and alembic.ini included).
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --quiet --no-deps -w dist .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
