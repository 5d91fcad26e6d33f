# `make demo` and `make test` work from a fresh clone: they create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/proxy-sandbox: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# the CPU build of torch first, so the unpinned dependency never pulls a CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/proxy-sandbox
	$(BIN)/proxy-sandbox run cleaning-robot --steps 300000 --seed 0 --out runs/demo

test: $(BIN)/proxy-sandbox
	$(BIN)/python -m pytest -n 2 --durations=15

lint: $(BIN)/proxy-sandbox
	$(BIN)/ruff check sandbox proxies scenarios tests

bench: $(BIN)/proxy-sandbox
	$(BIN)/proxy-sandbox bench

clean:
	rm -rf $(VENV) runs .pytest_cache
