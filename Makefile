# Two commands on a fresh Debian machine: `make start` (the app on the demo lab) and
# `make test` (the whole suite). Both run the idempotent setup first.
.PHONY: setup build start test typecheck bench clean

setup:
	bash scripts/setup.sh

build: setup
	npm run build

start: build
	npm start

typecheck: setup
	npx tsc -p tsconfig.json --noEmit

test: setup typecheck
	npm test

bench: build
	node bench/run-all.mjs

clean:
	rm -rf out test-results
