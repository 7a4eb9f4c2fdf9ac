# One command makes the reports, one runs the tests; both start from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lint bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

# System libraries WeasyPrint uses when present: HarfBuzz's subsetter embeds fonts several times
# faster than the fallback, and a CJK font prints Chinese city names. Installed where we are root;
# without them everything still works (slower, and with English names only).
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  need=""; \
	  ldconfig -p | grep -q libharfbuzz-subset || need="$$need libharfbuzz-subset0"; \
	  fc-list :lang=zh family 2>/dev/null | grep -q . || need="$$need fonts-noto-cjk"; \
	  command -v chromium >/dev/null || need="$$need chromium"; \
	  if [ -n "$$need" ]; then \
	    (apt-get install -y -qq $$need >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $$need >/dev/null 2>&1)) || \
	    echo "note: could not install$$need; continuing without"; \
	  fi; \
	fi

report: $(STAMP) system-deps
	$(BIN)/reportgen build --out output

test: $(STAMP) system-deps
	$(BIN)/pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	for f in benchmarks/*.py; do $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) output .pytest_cache .mypy_cache .ruff_cache
