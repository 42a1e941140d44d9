# Tandem: every target installs what it needs, so a fresh machine needs only `make run` / `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test bench lint schema clean

$(PY):
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "installing python3-venv"; apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; \
	  $(PYTHON) -m venv $(VENV); }
	@$(PIP) install -q --upgrade pip

$(VENV)/.stamp-server: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[server]'
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[server,dev]'
	@touch $@ $(VENV)/.stamp-server

run: $(VENV)/.stamp-server
	$(PY) -m server --host $(HOST) --port $(PORT)

test: $(VENV)/.stamp-dev
	$(PY) -m server.protocol --check
	$(PY) -m pytest

bench: $(VENV)/.stamp-dev
	$(PY) bench/relay.py

schema: $(VENV)/.stamp-server
	$(PY) -m server.protocol --write

clean:
	rm -rf $(VENV) var
