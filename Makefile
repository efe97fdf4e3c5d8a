# Two commands on a fresh Debian machine: `make start` (the app on the demo lab) and
# `make test` (the whole suite). Both run the idempotent setup first.
.PHONY: setup build start test typecheck lint bench deb clean

setup:
	bash scripts/setup.sh

build: setup
	npm run build

start: build
	npm start

# One tsconfig per kind of process (tsconfig.json lists them): the renderer without Node
# types, the engine/helper/CLI without the DOM, shared/ with neither.
typecheck: setup
	npm run typecheck

# Import boundaries between the processes (eslint.config.js).
lint: setup
	npm run lint

test: setup typecheck lint
	npm test

bench: build
	node bench/run-all.mjs

# A .deb for lab hosts from the bundles (no Electron binary): CLI with browser mode, the helper
# at /usr/lib/wirebench/wirebench-helper, the polkit policy naming it, the tiny-guest recipe.
deb: build
	bash scripts/build-deb.sh --out dist

clean:
	rm -rf out test-results dist
