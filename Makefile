# The two commands from the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck pytest bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/warroom demo

test: $(VENV)/.installed-test lint typecheck pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check tui widgets themes tests bench
	$(BIN)/ruff format --check tui widgets themes tests bench
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy tui widgets themes

pytest: $(VENV)/.installed-test
	$(BIN)/python -m tests.shards

bench: $(VENV)/.installed-test
	$(BIN)/python bench/getmetricdata.py
	$(BIN)/python bench/limits.py
	$(BIN)/python bench/findings.py
	$(BIN)/python bench/memory.py

screenshots: $(VENV)/.installed-test
	$(BIN)/python screenshots/make.py

clean:
	rm -rf $(VENV) *.egg-info .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
