# sandan — the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.dev-installed

.PHONY: demo test lint serve bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEVSTAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEVSTAMP)

## make demo: set up, create var/sandan.db, load the demo complex, serve http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/sandan demo

## make test: dev dependencies, lint (ruff, mypy, import contracts), the whole suite
test: $(DEVSTAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

serve: $(STAMP)
	$(BIN)/sandan serve

bench: $(DEVSTAMP)
	$(BIN)/python bench/store.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
