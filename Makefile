# Tandem: every target installs what it needs, so a fresh machine needs only `make run` / `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 1

.PHONY: run test test-deployment test-cluster bench lint schema clean extension e2e agent agent-dist system-tools

# apt-get update runs once per checkout, and only when something is missing;
# both wait (up to 10 min) for another install that holds apt's lock.
APT_STAMP := .apt-updated
APT_WAIT := -o DPkg::Lock::Timeout=600
apt_install = { [ -f $(APT_STAMP) ] || { apt-get $(APT_WAIT) update -qq && touch $(APT_STAMP); }; \
  DEBIAN_FRONTEND=noninteractive apt-get $(APT_WAIT) install -y -qq $(1) >/dev/null; }

EXT_SRC := $(shell find extension/src extension/static extension/patches -type f ! -path '*/generated/*' 2>/dev/null) extension/build.mjs server/schema/protocol.schema.json

$(PY):
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "installing python3-venv"; $(call apt_install,python3-venv); \
	  $(PYTHON) -m venv $(VENV); }
	@$(PIP) install -q --upgrade pip

$(VENV)/.stamp-server: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[server]'
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[server,agent,dev,dist]'  # dist: PyInstaller, for the single-file Support Manager test
	@touch $@ $(VENV)/.stamp-server

# The extension and the website snippet (server/static/tandem.js), built with esbuild.
extension/node_modules/.package-lock.json: extension/package.json extension/package-lock.json
	@command -v npm >/dev/null || $(call apt_install,nodejs npm)
	cd extension && npm ci --no-audit --no-fund --loglevel=error

extension/dist/manifest.json: extension/node_modules/.package-lock.json $(EXT_SRC)
	cd extension && node build.mjs

var/tandem-extension.zip: extension/dist/manifest.json
	@mkdir -p var
	@rm -f $@ && cd extension/dist && $(PYTHON) -m zipfile -c ../../$@ .

extension: var/tandem-extension.zip

# WORKERS=4: four relay processes on the port, to use four cores. They share
# live sessions through Redis: TANDEM_BROKER_URL's, or else a private
# redis-server the relay runs from var/redis while it runs (installed here).
run: $(VENV)/.stamp-server extension
	@if [ "$(WORKERS)" -gt 1 ] && [ -z "$$TANDEM_BROKER_URL" ] && [ ! -x /usr/bin/redis-server ]; then \
	  echo "installing redis-server (the $(WORKERS) relay processes share live sessions through it)"; \
	  $(call apt_install,redis-server); fi
	@echo "\n  Chrome extension: open chrome://extensions, turn on Developer mode, 'Load unpacked'"
	@echo "  and choose $(CURDIR)/extension/dist  (packed: var/tandem-extension.zip)\n"
	$(PY) -m server --host $(HOST) --port $(PORT) --workers $(WORKERS) --start-redis

# System packages the suites use: Chromium, an X server with real X11
# applications for the agent, and coturn (a TURN server) for the relay's TURN
# credentials. Checked on every run (cheap); apt-get only when one is missing.
# openbox: the portable agent backend's window list (PyWinCtl) needs an EWMH
# window manager, as every real desktop has; xprop/xwininfo (x11-utils) for the tests.
# redis-server, postgresql and haproxy (in front of several relay nodes, tests/cluster):
# the tests start their own servers in temporary folders on free ports
# (tests/backends.py); the packages' system services are not used.
SYSTEM_TOOLS := /usr/bin/chromium /usr/bin/Xvfb /usr/bin/xcalc /usr/bin/xdotool /usr/bin/turnserver \
  /usr/bin/openbox /usr/bin/xprop /usr/bin/xwininfo /usr/bin/redis-server /usr/sbin/haproxy
system-tools:
	@missing=""; for f in $(SYSTEM_TOOLS); do [ -x $$f ] || missing=1; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing=1; \
	if [ -n "$$missing" ]; then $(call apt_install,chromium xvfb x11-apps x11-utils xdotool coturn openbox redis-server postgresql haproxy); fi

test: $(VENV)/.stamp-dev extension system-tools
	$(PY) -m server.protocol --check
	$(PY) -m pytest
	@$(MAKE) --no-print-directory test-deployment
	@$(MAKE) --no-print-directory test-cluster

# The e2e suites once more, as README's QA section runs them: against a relay
# started apart with its defaults (rate limits on), through --base-url.
DEPLOYMENT_OUT := var/e2e-deployment
test-deployment: $(VENV)/.stamp-dev extension system-tools
	$(PY) e2e/deployment_pass.py --tracing retain-on-failure --screenshot only-on-failure \
	  --output $(DEPLOYMENT_OUT) --junitxml $(DEPLOYMENT_OUT)/junit.xml

# Chosen e2e suites against two relay nodes on PostgreSQL + Redis behind HAProxy
# (docs/haproxy.cfg): a session's clients land on different nodes.
CLUSTER_OUT := var/e2e-cluster
test-cluster: $(VENV)/.stamp-dev extension system-tools
	$(PY) -m e2e.cluster_pass --tracing retain-on-failure --screenshot only-on-failure \
	  --output $(CLUSTER_OUT) --junitxml $(CLUSTER_OUT)/junit.xml

# The Support Manager into this checkout's venv: `.venv/bin/tandem-agent pair ...`
agent: | $(PY)
	$(PIP) install -q -e '.[agent]'
	@echo "\n  Support Manager installed: .venv/bin/tandem-agent pair --relay http://$(HOST):$(PORT) NUMBER CODE\n"

# The single-file Support Manager for this machine (PyInstaller), which the relay
# offers on /download: dist/tandem-support-manager-<os>-<arch> (.exe on Windows).
# Windows and macOS files come from .github/workflows/agent-dist.yml.
AGENT_DIST_DIR ?= dist
AGENT_WORK_DIR ?= build/agent-dist
$(VENV)/.stamp-dist: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[agent,dist]'
	@touch $@

agent-dist: $(VENV)/.stamp-dist
	$(PY) packaging/build_agent.py --dist $(AGENT_DIST_DIR) --work $(AGENT_WORK_DIR)

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check server agent tests e2e bench

# The desktop bench's peer: x11vnc + websockify + noVNC (Debian packages).
# The relay bench's peers (bench/peers: node ws, picows) it installs itself.
# A bench that fails (an error, a timeout, a missing figure) exits non-zero and
# stops `make bench` there; one that runs past BENCH_TIMEOUT seconds is
# interrupted (SIGINT: it still stops what it started) and fails too.
BENCH_TOOLS := /usr/bin/x11vnc /usr/bin/websockify /usr/share/novnc/vnc.html
BENCH_TIMEOUT ?= 1800
BENCH_RUN = timeout -s INT -k 60 $(BENCH_TIMEOUT) $(PY)
bench: $(VENV)/.stamp-dev extension system-tools
	@missing=""; for f in $(BENCH_TOOLS); do [ -e $$f ] || missing=1; done; \
	if [ -n "$$missing" ]; then $(call apt_install,x11vnc websockify novnc); fi
	$(BENCH_RUN) bench/relay.py
	$(BENCH_RUN) bench/capacity.py
	$(BENCH_RUN) bench/desk.py
	$(BENCH_RUN) bench/records.py
	$(BENCH_RUN) bench/frame_memory.py
	$(BENCH_RUN) bench/cluster.py
	$(BENCH_RUN) bench/broker.py
	$(BENCH_RUN) bench/cobrowse.py
	$(BENCH_RUN) bench/files.py
	$(BENCH_RUN) bench/desktop.py

schema: $(VENV)/.stamp-server
	$(PY) -m server.protocol --write

clean:
	rm -rf $(VENV) var
