# dialtone: `make run` starts the switch on the embedded demo config;
# `make test` runs the whole suite (installing the SIP peers it needs).
SHELL    := /bin/bash
GO       ?= go
BIN      := bin/dialtone
DATA     ?= data
PKGS     := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test test-unit deps lint bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/dialtone

run: build
	./$(BIN) serve --data $(DATA)

# deps installs the real SIP peers the end-to-end tests drive, and the
# headless Chromium the console's browser tests drive (Debian).
deps:
	@if ! command -v sipp >/dev/null || ! command -v baresip >/dev/null || ! command -v sox >/dev/null || ! command -v espeak-ng >/dev/null || ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends sip-tester baresip-core sox espeak-ng chromium >/dev/null; \
	fi

# test prints a line per package and per end-to-end test as they finish, and
# the whole output of any test that fails (internal/testprogress). The
# end-to-end tests run six at a time on their own (test/e2e's TestMain: a
# -parallel here would set it for the unit tests too).
test: deps
	$(GO) vet $(PKGS)
	$(GO) build -o bin/testprogress ./internal/testprogress
	@echo "running the suite (a few minutes): a line per package and per end-to-end test as it passes"
	set -o pipefail; $(GO) test -json -count=1 -timeout 20m $(PKGS) | bin/testprogress -names /test/

test-unit:
	$(GO) test -count=1 -short $(PKGS)

lint:
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)

bench: build deps
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	AMD_CORPUS=480 $(GO) test -count=1 -run '^TestCorpusReport$$' -v ./dialer/amd/
	./bench/sipp_load.sh
	./bench/register_load.sh
	./bench/overload.sh
	./bench/media_load.sh
	./bench/pacing_grid.sh
	./bench/dialer_load.sh

# fuzz runs every fuzz target of every package for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin
