# Every user-facing target installs what it needs first: on a fresh machine with
# only python3, `make demo` and `make test` are the whole set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install install-interop demo test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# quickfix builds from source (about 5 minutes); pip's wheel cache makes repeats fast.
install-interop: install
	$(BIN)/pip install --quiet -e '.[dev,interop]'

demo: install
	$(BIN)/python -m mmsla.demo

test: install
	$(BIN)/pytest -q

bench: install
	$(BIN)/python -m bench $(BENCH)

lint: install
	$(BIN)/ruff check mmsla quoter tests bench
	$(BIN)/ruff format --check mmsla quoter tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
