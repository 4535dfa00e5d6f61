# From a fresh clone: `make demo` (the whole flow on the local sandbox) and `make test` (everything CI runs).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ekyc demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check ekyc tests bench examples
	MYPYPATH=examples/django_app $(BIN)/mypy --strict -p kycdemo  # the examples are code people copy
	$(BIN)/mypy --strict examples/django_app/manage.py examples/starlette_app/app.py

typecheck: $(STAMP)
	$(BIN)/mypy --strict ekyc

pytest: $(STAMP)
	$(BIN)/pytest -rs  # -rs: the reason of every skipped test

bench: $(STAMP)
	$(BIN)/python bench/run.py --cold-venv /tmp/ekyc-bench-cold  # cold start in a venv with only the runtime dependencies

docs: $(STAMP)
	$(BIN)/python -m ekyc.docs

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
