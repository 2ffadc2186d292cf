# Two commands: `make all` (set up, then turn seeds/ into output/) and `make test`.
# Set-up is tracked by make (a stamp per step); the pipeline's own cache skips documents
# that are up to date, so a second `make all` reinstalls and recomputes nothing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
SEEDS := seeds
OUT := output
# `make archive`: the bag's folder (refused when it exists and is not empty) and its tags.
BAG ?= bag
ARCHIVE_CONFIG ?= archive.toml
# The only clock in the output: the last commit's time, so outputs are byte-identical.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

# Debian packages: Apertium (MT; fr-es + eng-spa is the pivot chain, fra-cat + eng-cat and
# eo-fr + eo-en translate the words it does not know), jing (fast TEI validation), chromium
# (view test).
APT_PACKAGES := apertium apertium-fr-es apertium-eng-spa apertium-fra-cat apertium-eng-cat \
	apertium-eo-fr apertium-eo-en jing chromium

.PHONY: all setup system run test lint export archive bench bench-html screenshots clean-output lock

all: setup run

setup: $(STAMP) system

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: pip then takes the CPU wheel on disk instead of a CUDA build.
	$(PIP) install -q -c requirements.lock torch==2.13.0
	$(PIP) install -q -c requirements.lock -e '.[dev]'
	@touch $@

# Installs the Debian packages when we are root and apt-get exists; otherwise says how.
system:
	@missing=""; \
	command -v apertium >/dev/null && test -f /usr/share/apertium/modes/fr-es.mode \
	  && test -f /usr/share/apertium/modes/spa-eng.mode || missing="$$missing apertium apertium-fr-es apertium-eng-spa"; \
	test -f /usr/share/apertium/modes/fra-cat.mode && test -f /usr/share/apertium/modes/cat-eng.mode \
	  || missing="$$missing apertium-fra-cat apertium-eng-cat"; \
	test -f /usr/share/apertium/modes/fr-eo.mode && test -f /usr/share/apertium/modes/eo-en.mode \
	  || missing="$$missing apertium-eo-fr apertium-eo-en"; \
	command -v jing >/dev/null || missing="$$missing jing"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "WARNING: apt-get failed; the pipeline goes on with what is available"; \
	  else \
	    echo "NOTE: missing Debian packages:$$missing"; \
	    echo "      install them with: sudo apt-get install$$missing"; \
	    echo "      (without Apertium the run needs an Argos package: python -m pipeline models install argos FILE)"; \
	  fi; \
	fi

run: setup
	$(PY) -m pipeline run $(SEEDS) -o $(OUT)
	$(PY) -m pipeline view $(OUT)/tei -o $(OUT)

export: run
	$(PY) -m pipeline export --format all --lang both $(OUT)/tei -o $(OUT)/exports

# A BagIt bag of the output as it is (after `make all`; BagIt 1.0, sha256 + sha512), checked
# by `verify` once made. It does not rerun the pipeline: a rerun rewrites report.json (its
# timings), and two bags of one output are identical only when the output is.
archive: setup
	$(PY) -m pipeline archive $(OUT) -o $(BAG) \
	  $(if $(wildcard $(ARCHIVE_CONFIG)),--config $(ARCHIVE_CONFIG)) $(ARCHIVE_ARGS)
	$(PY) -m pipeline verify $(BAG)

# Benchmark: printed tables (also $(OUT)/bench/results.md and results.json), not timed tests.
# Default: 100 and 1,000 articles of ~280 words (~25 min on 2 cores): local 1 and 2 workers
# and a Dask LocalCluster of 2 workers side by side (--executors local: no Dask). Other sizes:
#   make bench BENCH_ARGS="--sizes 100,1000,5000"   (--quick: a 12-article smoke run)
bench: setup
	$(PY) tools/bench.py -o $(OUT)/bench $(BENCH_ARGS)

# HTML reading against trafilatura alone on ../shared/bench/html-fr (19 pages, ~15 s).
bench-html: setup
	$(PY) tools/bench_html.py -o $(OUT)/bench/html-fr

# The README's screenshots of the reading view (Debian's Chromium; the seeds' view).
screenshots: setup
	VIEW_SCREENSHOT_DIR=$(OUT) $(PY) -m pytest -q tests/test_view_browser.py -k screenshot

test: setup
	$(VENV)/bin/ruff check pipeline tests tools
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check pipeline tests tools

clean-output:
	rm -rf $(OUT)/tei $(OUT)/corpus.xml $(OUT)/report.json $(OUT)/.cache \
	  $(OUT)/index.html $(OUT)/entities.html $(OUT)/articles $(OUT)/static $(OUT)/exports

lock: $(STAMP)
	{ echo "# Exact versions of every package in the virtual environment (pip constraints file)."; \
	  echo "# Regenerate with: make lock"; \
	  $(PIP) freeze --exclude-editable | sed -e 's/^torch==\(.*\)+cpu/torch==\1/' \
	    -e 's/^\([A-Za-z0-9_.-]*\) @ file:.*\/[A-Za-z0-9_]*-\([0-9][0-9.]*\)-.*whl.*/\1==\2/'; } > requirements.lock
