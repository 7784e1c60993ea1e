#!/usr/bin/env bash
# UI page timings under ingest (issue 15): flowgate's nProbe emulator sends
# TLV updates of 1,000,000 flows at 250,000 flows/s over ZMQ while
# bench/uitimings loads the dashboard, hosts and flows pages in headless
# Chromium; then the ingest loss (records sent minus records flowgate
# counted, queue drops included in "lost") is reported. Usage:
#
#   bench/ui.sh [seconds]        (default 120: the ingest runs that long)
#
# RATE, FLOWS, HOSTS (default 100,000, numbered from 10.0.0.0 in HOSTNET,
# default 10.0.0.0/15; the local network is 10.1.0.0/16, so about a third
# of them are local), ROUNDS override the defaults; FGBIN=<binary> runs
# that build; CHROMIUM=<binary>.
# On a shared machine the figures are lower bounds: the load average is
# printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
rate=${RATE:-250000}
flows=${FLOWS:-1000000}
hosts=${HOSTS:-100000}
hostnet=${HOSTNET:-10.0.0.0/15}
rounds=${ROUNDS:-5}
# Its own binary names and ports: other benchmarks (bench/e2e.sh) may run
# beside it and rebuild bin/flowgate.
fgbin=${FGBIN:-bin/flowgate-ui}
[ -n "${FGBIN:-}" ] || go build -o bin/flowgate-ui ./cmd/flowgate
go build -o bin/uitimings ./bench/uitimings
zport=${ZPORT:-5797}
hport=${HPORT:-3797}
if curl -s -o /dev/null "http://127.0.0.1:$hport/"; then echo "port $hport is taken: set HPORT"; exit 1; fi
pass=ui-bench-$$
data=$(mktemp -d)
fg=""
probe=""
trap 'kill $probe $fg 2>/dev/null || true; rm -rf "$data"' EXIT

api() { curl -sf -u "admin:$pass" "http://127.0.0.1:$hport/lua/rest/v2/$1"; }
field() { api "get/interface/data.lua?ifid=0" | python3 -c "import json,sys; r=json.load(sys.stdin)['rsp']; print($1)"; }

"$fgbin" -i "tcp://127.0.0.1:${zport}c" -w "127.0.0.1:$hport" -d "$data" --admin-password "$pass" \
	-m 10.1.0.0/16 -X $((flows * 3)) -x $((hosts * 2)) 2>"$data/flowgate.log" &
fg=$!
for _ in $(seq 100); do api "get/interface/data.lua?ifid=0" >/dev/null 2>&1 && break; sleep 0.1; done
api "get/interface/data.lua?ifid=0" >/dev/null || { echo "flowgate did not start"; cat "$data/flowgate.log"; exit 1; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
"$fgbin" probe -zmq "tcp://127.0.0.1:$zport" -probe-mode -format tlv -batch 100 -hosts "$hosts" -host-net "$hostnet" \
	-flows "$flows" -rate "$rate" -duration "${secs}s" -events 5s >"$data/probe.json" &
probe=$!
# Measure once the working set is in the tables (or after 2 minutes).
for _ in $(seq 600); do
	kill -0 "$probe" 2>/dev/null || { echo "the emulator stopped"; cat "$data/probe.json"; exit 1; }
	kill -0 "$fg" 2>/dev/null || { echo "flowgate stopped"; tail "$data/flowgate.log"; exit 1; }
	[ "$(field 'r["num_flows"]')" -ge $((flows * 95 / 100)) ] && break
	sleep 0.2
done
echo "ingest running: $(field '"%d active flows, %d hosts" % (r["num_flows"], r["num_hosts"])')"
CHROMIUM_BIN=${CHROMIUM:-chromium}
bin/uitimings -url "http://127.0.0.1:$hport" -pass "$pass" -rounds "$rounds" -chromium "$CHROMIUM_BIN" -waterfall
echo "after the pages: $(field '"%d active flows, %d hosts" % (r["num_flows"], r["num_hosts"])'); load $(cut -d' ' -f1-3 /proc/loadavg)"
if ! kill -0 "$probe" 2>/dev/null; then
	echo "WARNING: the ingest ended before the page loads did: raise [seconds]"
fi
wait "$probe"
probe=""
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["flows"])' "$data/probe.json")
for _ in $(seq 300); do
	[ "$(field 'r["zmqRecvStats"]["flows"] + r["queue_drops"]["flows"]')" -ge "$want" ] && break
	sleep 0.1
done
api "get/interface/data.lua?ifid=0" >"$data/rest.json"
python3 - "$data/probe.json" "$data/rest.json" <<'PY'
import json, sys
probe, rest = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["rsp"]
z = rest["zmqRecvStats"]
print(f"ingest: sent {probe['flows']:,} flow records in {probe['seconds']:.1f} s = {probe['flows_per_sec']:,.0f} flows/s; "
      f"flowgate counted {z['flows']:,}, queue drops {rest['queue_drops']['flows']:,}, ZMQ message drops {z['zmq_msg_drops']:,}; "
      f"lost {probe['flows'] - z['flows']:,}")
PY
