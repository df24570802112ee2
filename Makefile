# toban — see README.md. `make test` is what CI runs.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/toban
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build test lint run demo screenshots bench clean

build: ## static binary, no cgo
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/toban

test: ## vet, then every test with the race detector (storage's on SQLite and PostgreSQL)
	$(GO) vet ./...
	@if [ -n "$$TOBAN_TEST_POSTGRES_URL" ]; then echo "PostgreSQL suites: on the cluster at TOBAN_TEST_POSTGRES_URL"; \
	elif ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then echo "PostgreSQL suites: on a private cluster from /usr/lib/postgresql"; \
	else echo "PostgreSQL suites SKIPPED: no TOBAN_TEST_POSTGRES_URL and no server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)"; fi
	$(GO) test -race -count=1 ./...

lint: ## gofmt, vet and staticcheck; any finding fails
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

run: build ## run the bot with the environment's configuration
	./$(BIN) run

demo: build ## the real bot against in-repo fakes of Slack and PagerDuty, in a browser: http://127.0.0.1:8080/
	./$(BIN) demo

screenshots: ## rewrite docs/demo*.png from the browser test (needs chromium)
	TOBAN_UPDATE_SCREENSHOTS=1 $(GO) test -count=1 -run TestDemoInBrowser ./cmd/toban

bench: bin ## Go benchmarks of the hot paths, then the load harness; writes BENCHMARKS.md
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./... | tee bin/gobench.txt
	$(GO) run ./cmd/tobanbench -gobench bin/gobench.txt -out BENCHMARKS.md

bin:
	mkdir -p bin

clean:
	rm -rf bin
