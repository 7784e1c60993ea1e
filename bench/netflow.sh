#!/usr/bin/env bash
# Native flow ingest over loopback UDP: bench/flowsend replays pre-encoded
# NetFlow v9, IPFIX and sFlow v5 datagrams from several exporters into a
# running flowgate (-i netflow:// and -i sflow://) and reads flowgate's
# /metrics afterwards (closed loop): records decoded, kernel and queue
# drops, and flowgate's CPU seconds per record (the per-core cost, which
# depends less on what else the machine runs than records/s does).
#
#   bench/netflow.sh [seconds] [proto...]        # fixed rates below
#   SEARCH=1 bench/netflow.sh [seconds] [proto]  # raise the rate by 15% until records are lost
#
# RATE_V9, RATE_IPFIX (records/s) and RATE_SFLOW (samples/s) set the rates
# (defaults: the issue's targets 500,000 and 300,000); EXPORTERS the
# exporters (default 4); WARMUP the unmeasured seconds sent first (default 3:
# the flow table fills, so runs measure updates of ~100k active flows); FGARGS
# adds flowgate options.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
protos=("$@")
[ ${#protos[@]} -gt 0 ] || protos=(v9 ipfix sflow)

fg_bin=${FLOWGATE:-bin/flowgate} # FLOWGATE=path: a binary built beforehand
[ -n "${FLOWGATE:-}" ] || go build -o bin/flowgate ./cmd/flowgate
go build -o bin/flowsend ./bench/flowsend
nport=${NPORT:-12055}
sport=${SPORT:-16343}
hport=${HPORT:-3457}
data=$(mktemp -d)
trap 'kill $fg 2>/dev/null || true; rm -rf "$data"' EXIT

"$fg_bin" -i "netflow://127.0.0.1:$nport" -i "sflow://127.0.0.1:$sport" -w "127.0.0.1:$hport" -d "$data" \
	--disable-login -m 10.0.0.0/8 ${FGARGS:-} 2>"$data/flowgate.log" &
fg=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hport/metrics" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$hport/metrics" >/dev/null || { echo "flowgate did not start"; cat "$data/flowgate.log"; exit 1; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for p in "${protos[@]}"; do
	case $p in
	v9) rate=${RATE_V9:-500000} to=127.0.0.1:$nport ;;
	ipfix) rate=${RATE_IPFIX:-500000} to=127.0.0.1:$nport ;;
	sflow) rate=${RATE_SFLOW:-300000} to=127.0.0.1:$sport ;;
	*) echo "unknown proto $p"; exit 1 ;;
	esac
	./bin/flowsend -proto "$p" -to "$to" -rate "$rate" -d "${secs}s" -exporters "${EXPORTERS:-4}" \
		-metrics "http://127.0.0.1:$hport/metrics" -pid "$fg" -warmup "${WARMUP:-3}s" ${SEARCH:+-search}
done
