# lumdesk: `make run` for the demo console, `make test` for the whole suite.
GO      ?= go
BIN     := bin/lumdesk
GENERATED := db/store views static/css/app.css

.PHONY: run build test check generate css bench bench-go fmt tools-node clean

## run: build, find or start Postgres, migrate, seed demo data, serve on 127.0.0.1:8080
run: build
	LUMDESK_DEMO=true ./$(BIN) serve

## build: compile the binaries into bin/ (the server, and the Lumio developer CLI bin/lumio)
build:
	$(GO) build -o $(BIN) ./cmd/web
	$(GO) build -o bin/lumio ./cmd/lumio

## test: install Chromium if missing, provide a database, run every test with -race
test:
	./scripts/test.sh

## generate: rebuild every generated file (templ, sqlc, Tailwind CSS)
generate: tools-node
	$(GO) tool templ generate -log-level error
	$(GO) tool sqlc generate
	npx --no-install tailwindcss -i static/css/input.css -o static/css/app.css --minify 2>/dev/null

css: tools-node
	npx --no-install tailwindcss -i static/css/input.css -o static/css/app.css --minify

tools-node:
	@test -x node_modules/.bin/tailwindcss || npm ci --no-audit --no-fund --loglevel=error

## check: fail on stale generated files, tracked binaries or big files, gofmt or go vet findings
check: generate
	@./scripts/check-tracked.sh
	@stale=$$(git status --porcelain -- $(GENERATED)); \
	if [ -n "$$stale" ]; then echo "generated files are stale (run make generate and commit):"; echo "$$stale"; exit 1; fi
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: load-test the loader check (in turns with pgbench -S) and the console lists on BENCH_KEYS keys and as many accounts, audit events and ledger entries (default 1e6; seeded once
## into lumdesk_bench_<N>) against a server it starts (cmd/loadgen)
bench: build
	$(GO) run ./cmd/loadgen -bin ./$(BIN)

## bench-go: Go benchmark functions
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '_templ.go$$')

clean:
	rm -rf bin
