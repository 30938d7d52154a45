# Two commands: `make demo` and `make test`. Both install what is missing first, and are fast when nothing is.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
INSTALLED := $(VENV)/.installed

.PHONY: demo test system python lint typecheck pytest clean

demo: system python
	@bash scripts/demo.sh

test: system python lint typecheck pytest

system:
	@bash scripts/ensure-system-packages.sh

python: $(INSTALLED)

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

lint: python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: python
	$(BIN)/mypy

pytest: python
	$(BIN)/pytest

clean:
	rm -rf var/samples .pytest_cache .mypy_cache .ruff_cache
