# The index of the project: every way to build, check and measure it.
# `make help` lists the targets.

GO       ?= go
BIN      ?= bin/ownerbot
FUZZTIME ?= 30s
FUZZMINTIME ?= 5s
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
IMAGE    ?= ownerbot

# Fuzz targets, as package:target.
FUZZ_TARGETS := ./internal/codeowners:FuzzParse ./internal/codeowners:FuzzMatch \
	./internal/owners:FuzzOwnersYAML ./internal/runbook:FuzzRunbook ./internal/exception:FuzzExceptions \
	./internal/snapshot:FuzzParseIndexPaths ./internal/snapshot:FuzzResolveLinks ./internal/webhook:FuzzServeHTTP ./internal/review:FuzzMarkers ./internal/webhook:FuzzFormPayload \
	./internal/gfm:FuzzQuote ./internal/report:FuzzPullRequestComment ./internal/review:FuzzIssueBody \
	./internal/cli:FuzzGitPathQuoting ./internal/backstage:FuzzParse ./internal/prow:FuzzOwners ./internal/prow:FuzzAliases ./internal/strictyaml:FuzzParseAll

# What the exhaustive run needs beside the repository (third-party data).
SHARED_DATA := ../shared/datasets ../shared/ownership-sources ../shared/schemas ../shared/github

.PHONY: help build test exhaustive test-all lint fuzz bench load demo golden docker chart

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/ownerbot, stamped with the git version
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/bot

test: ## every test, with the race detector (the README's test command; samples the slowest, see exhaustive)
	$(GO) test -race ./...
	@echo "make test: the dataset, differential and simulation tests ran a sample (go test -v shows 'sampled:'); make exhaustive runs them in full" >&2

exhaustive: ## every test at full size, without -race, as CI does after `test`; fails if ../shared is missing
	@for d in $(SHARED_DATA); do \
		[ -d "$$d" ] || { echo "make exhaustive: $$d is missing: the exhaustive run needs the shared data beside the repository" >&2; exit 1; }; \
	done
	OWNERBOT_EXHAUSTIVE=1 $(GO) test -count=1 ./...

test-all: test exhaustive ## test, then exhaustive

lint: ## gofmt, go vet and go mod tidy must have nothing to say
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

fuzz: ## run every fuzz target for FUZZTIME each (a duration, or a count like 200000x)
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) $$pkg; \
	done

bench: ## the benchmarks behind the README's figures
	$(GO) test -run '^$$' -bench . -benchmem ./...

load: ## flood the real `serve` as an outsider would (loopback, ~15 s): peak RSS and acknowledgement time
	$(GO) test -run '^$$' -bench '^BenchmarkIngressFlood$$' -benchtime 1x -v ./cmd/bot

demo: ## ownerbot on the bundled example monorepo
	$(GO) run ./cmd/bot check --repo examples/acme --fail-on never

golden: ## rewrite golden files from the current output (review the diff!)
	$(GO) test -update $$($(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | grep internal/golden | cut -d' ' -f1)

docker: ## build the image IMAGE:VERSION (IMAGE=ownerbot) from deploy/Dockerfile; needs a Docker engine
	@docker info >/dev/null 2>&1 || { echo "make docker: no Docker engine answers (docker info failed): start one, or run the same build where one runs: docker build -f deploy/Dockerfile ." >&2; exit 1; }
	docker build -f deploy/Dockerfile --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMAGE):$(VERSION) .

chart: ## lint, render and check the Helm chart, the Dockerfile and its build context (.ci/chart)
	.ci/chart
