#!/usr/bin/env bash
# End-to-end load runs: flowgate's nProbe emulator publishes over ZMQ
# (loopback, collector mode) to a running flowgate; after each run the REST
# interface data says what flowgate counted. Usage:
#
#   bench/e2e.sh [seconds] [scenario...]
#
# Scenarios (batches of 100 flows, v3 headers):
#   tlv-update  TLV updates of 1,000,000 long-lived flows   at 700,000 flows/s
#   tlv-new     TLV, every record a new flow                at 250,000 flows/s
#   json-update JSON updates of 1,000,000 long-lived flows  at 330,000 flows/s
#   json-new    JSON, every record a new flow               at 100,000 flows/s
#   *-max       the same with no rate limit (the sender's pace)
#   tlv-new-scripts  tlv-new at 150,000 flows/s with three flow scripts loaded
#               (bench/scripts: protocolDetected, periodicUpdate, flowEnd), flows
#               detected and ended by idle expiry
#   memory      1,000,000 active flows: resident memory per flow
# RATE=<flows/s> overrides the rate of every scenario; FGARGS adds flowgate
# options to every run (e.g. FGARGS=--disable-timeseries).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(tlv-update tlv-new json-update json-new memory)

go build -o bin/flowgate ./cmd/flowgate
zport=${ZPORT:-5656}
hport=${HPORT:-3456}
data=$(mktemp -d)
trap 'kill $fg 2>/dev/null || true; rm -rf "$data"' EXIT

rest() { curl -sf "http://127.0.0.1:$hport/lua/rest/v2/get/interface/data.lua?ifid=0"; }
rss() { curl -sf "http://127.0.0.1:$hport/metrics" | awk '/^process_resident_memory_bytes/ {print $2}'; }

start_flowgate() {
	./bin/flowgate -i "tcp://127.0.0.1:${zport}c" -w "127.0.0.1:$hport" -d "$data" --disable-login \
		-m 10.1.0.0/16 -X 30000000 -x 1000000 "$@" 2>"$data/flowgate.log" &
	fg=$!
	for _ in $(seq 50); do rest >/dev/null 2>&1 && return; sleep 0.1; done
	echo "flowgate did not start"; cat "$data/flowgate.log"; exit 1
}

run() {
	local name=$1 rate=$2; shift 2
	local fgargs=() probe=()
	while [ "$1" != "--" ]; do fgargs+=("$1"); shift; done
	shift
	probe=("$@")
	[ -n "${RATE:-}" ] && rate=$RATE
	start_flowgate "${fgargs[@]}" ${FGARGS:-}
	local base; base=$(rss)
	./bin/flowgate probe -zmq "tcp://127.0.0.1:$zport" -probe-mode -batch 100 -hosts 1000 \
		-duration "${secs}s" -rate "$rate" "${probe[@]}" >"$data/probe.json"
	sleep 1
	rest >"$data/rest.json"
	local after; after=$(rss)
	python3 - "$name" "$data/probe.json" "$data/rest.json" "$base" "$after" <<'PY'
import json, sys
name, probe, rest, base, after = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))["rsp"], int(float(sys.argv[4])), int(float(sys.argv[5]))
z = rest["zmqRecvStats"]
lost = probe["flows"] - z["flows"]
print(f"{name:12s} sent {probe['flows']:>11,} flows in {probe['seconds']:.1f}s = {probe['flows_per_sec']:>11,.0f} flows/s | "
      f"flowgate counted {z['flows']:>11,}, queue drops {rest['queue_drops']['flows']:,}, msg drops {z['zmq_msg_drops']}, "
      f"lost {lost:,} | active flows {rest['num_flows']:,} | RSS {after/2**20:,.0f} MiB "
      f"({(after-base)/max(rest['num_flows'],1):.0f} B/active flow over the idle baseline)")
PY
	if [[ " ${fgargs[*]} " == *" --scripts-dir "* ]]; then
		# Let the last flows expire, then show how often each hook ran.
		sleep 15
		curl -sf "http://127.0.0.1:$hport/lua/rest/v2/get/user_script/stats.lua" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["rsp"]["scripts"]:
    print("    script %-10s calls %11d errors %d timeouts %d" % (s["script_key"], s["calls"], s["errors"], s["timeouts"]))'
	fi
	kill "$fg"; wait "$fg" 2>/dev/null || true
}

for s in "${scenarios[@]}"; do
	case $s in
	tlv-update)  run "$s" 700000 -- -format tlv -flows 1000000 ;;
	tlv-new)     run "$s" 250000 --flow-idle-timeout 10 -- -format tlv -flows 100000 -churn 100 ;;
	json-update) run "$s" 330000 -- -format json -flows 1000000 ;;
	json-new)    run "$s" 100000 --flow-idle-timeout 10 -- -format json -flows 100000 -churn 100 ;;
	tlv-update-max)  run "$s" 0 -- -format tlv -flows 1000000 ;;
	tlv-new-max)     run "$s" 0 --flow-idle-timeout 10 -- -format tlv -flows 100000 -churn 100 ;;
	json-update-max) run "$s" 0 -- -format json -flows 1000000 ;;
	json-new-max)    run "$s" 0 --flow-idle-timeout 10 -- -format json -flows 100000 -churn 100 ;;
	tlv-new-scripts) run "$s" 150000 --flow-idle-timeout 10 --scripts-dir bench/scripts -- -format tlv -flows 100000 -churn 100 ;;
	memory)      run "$s" 700000 -- -format tlv -flows 1000000 ;;
	*) echo "unknown scenario $s"; exit 2 ;;
	esac
done
