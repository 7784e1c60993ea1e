# flowgate — the commands a newcomer needs. See README.md.
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
APT_PEERS   := python3-zmq redis-server rsyslog rsyslog-openssl snmpd snmp nats-server tshark softflowd libndpi-bin iproute2 prometheus influxdb nfdump pmacct chromium curl clickhouse-server
APT         := apt-get -o DPkg::Lock::Timeout=600

.PHONY: run deps test lint unit bench e2e-bench fuzz build

build:
	$(GO) build -o bin/flowgate ./cmd/flowgate

# Run flowgate on its embedded defaults (collector mode on tcp://*:5556c,
# REST and /metrics on :3000, data in /var/lib/flowgate).
run: build
	./bin/flowgate

# The real peers the integration tests talk to (libzmq through python3-zmq, ...).
deps:
	@missing=""; for p in $(APT_PEERS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $$missing; \
	fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

unit:
	FLOWGATE_REQUIRE_PEERS=1 $(GO) test -count=1 -timeout 20m ./...

# The README's test command: peers, lint, the whole suite.
test: deps lint unit

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	for f in FuzzParseHeader FuzzDecodeTLV FuzzDecodeJSON FuzzOpenPayload; do \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-5m} ./collectors/zmq/wire || exit 1; \
	done
