GO ?= go
BIN := bin/allmyleads

.PHONY: build test run lint bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/allmyleads

# go vet and staticcheck first, then every test with the race detector; the
# package lines print as each package finishes; then the shipped flows'
# tests (flows/tests) through the real command.
test: lint
	$(GO) test -race -count=1 ./...
	$(GO) run ./cmd/allmyleads flow test

run: build
	./$(BIN) chat

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
