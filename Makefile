# Lianhu: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test deps dev-deps vendor fieldapp translations assets bench clean browser-deps java-deps bench-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt $(VENV)/.deps
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Manager UI libraries come from npm and are served from our own origin.
server/static/vendor/.built: node_modules/.installed
	rm -rf server/static/vendor && mkdir -p server/static/vendor/swagger-ui server/static/vendor/leaflet
	cp node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui-standalone-preset.js,swagger-ui.css} server/static/vendor/swagger-ui/
	cp -r node_modules/leaflet/dist/* server/static/vendor/leaflet/
	cp node_modules/leaflet.markercluster/dist/{leaflet.markercluster.js,MarkerCluster.css,MarkerCluster.Default.css} server/static/vendor/leaflet/
	touch $@

vendor: server/static/vendor/.built

# The cadres' offline app (Vite + @getodk/web-forms), built into server/static/fieldapp/.
FIELDAPP_SRC := $(shell find fieldapp/src fieldapp/public fieldapp/index.html fieldapp/vite.config.js -type f 2>/dev/null)
fieldapp/node_modules/.installed: fieldapp/package.json fieldapp/package-lock.json
	cd fieldapp && npm ci --no-audit --no-fund --loglevel=error
	touch $@

server/static/fieldapp/.built: fieldapp/node_modules/.installed $(FIELDAPP_SRC)
	cd fieldapp && npm run build --silent
	touch $@

fieldapp: server/static/fieldapp/.built

# Interface translations (zh is the default language).
translations: deps
	$(BIN)/pybabel compile -d server/translations >/dev/null

assets: vendor fieldapp translations

run: deps assets
	@mkdir -p instance
	$(BIN)/flask setup
	$(BIN)/flask demo seed --if-empty
	@echo "Serving on http://127.0.0.1:5000  (API docs: http://127.0.0.1:5000/api/docs)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Browser tests need Debian's chromium; installed here when we may (root), else they report why.
browser-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi wenquanyi; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "chromium or fonts-wqy-microhei missing: browser tests need them (apt-get install chromium fonts-wqy-microhei)"; fi; \
	fi

# ODK Validate (the jar pyxform ships) runs on every corpus XForm in the tests: it needs a Java runtime.
java-deps:
	@if ! command -v java >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else echo "java missing: ODK Validate tests need it (apt-get install default-jre-headless)"; fi; \
	fi

test: dev-deps assets browser-deps java-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$status

# The slow-client bench runs nginx in front of gunicorn (deploy/): installed here when we may (root).
bench-deps:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else echo "nginx missing: bench/slow_clients.py needs it (apt-get install nginx)"; fi; \
	fi

# Benchmarks print figures (README, Benchmarks). Full-size coverage: $(BIN)/python bench/coverage.py
bench: dev-deps assets bench-deps
	$(BIN)/python bench/import_households.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/coverage.py --households 20000 --villages 40 --cadres 400 --visits 100000 --sqlite /tmp/lianhu-bench-small.db
	$(BIN)/python bench/fieldapp.py
	$(BIN)/python bench/exports.py --n 20000
	$(BIN)/python bench/slow_clients.py

clean:
	rm -rf $(VENV) node_modules server/static/vendor server/static/fieldapp
