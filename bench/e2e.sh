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
#   closed      the closed-loop table (issue 17): the sender runs unlimited and
#               waits on backpressure (a blocking PUB, nProbe's default; the
#               collector waits on a full engine queue instead of dropping):
#               closed-tlv-update (20,000 active flows), closed-tlv-new,
#               closed-json-update, closed-json-new, closed-memory (exactly
#               1,000,000 new flows, however long they take), and
#               closed-tlv-new-scripts (the three bench flow scripts)
#               With FGARGS="--scripts-dir <empty dir>" no shipped flow check
#               runs: the figures are then the collector's and engine's alone.
# Every run also reports the collector's CPU time per flow (utime+stime of
# /proc/<pid>/stat over the run: insensitive to other load on the machine,
# unlike flows/s), its RSS per active flow, and the engine's pauses
# (flowgate_interface_pause_seconds: batches and ticks over 12.8 ms, longest).
# RATE=<flows/s> overrides the rate of every scenario; FGARGS adds flowgate
# options to every run (e.g. FGARGS=--disable-timeseries); PROFDIR=<dir> saves a
# CPU profile of each run (/debug/pprof/profile) and its top 15 functions there.
# LISTS=<file> puts that category list (docs/blacklists.md) in the data dir before each
# run, so every new flow is matched against it (issue 18: compare a run with and without).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(tlv-update tlv-new json-update json-new memory)

# FGBIN=<binary> runs that build (e.g. an older release) instead of building the tree.
fgbin=${FGBIN:-bin/flowgate}
[ -n "${FGBIN:-}" ] || go build -o bin/flowgate ./cmd/flowgate
zport=${ZPORT:-5656}
hport=${HPORT:-3456}
data=$(mktemp -d)
trap 'kill $fg 2>/dev/null || true; rm -rf "$data"' EXIT

rest() { curl -sf "http://127.0.0.1:$hport/lua/rest/v2/get/interface/data.lua?ifid=0"; }
rss() { curl -sf "http://127.0.0.1:$hport/metrics" | awk '/^process_resident_memory_bytes/ {print $2}'; }
# cputicks is the collector's user+system CPU time in clock ticks.
cputicks() { awk '{print $14 + $15}' "/proc/$fg/stat"; }
counted() { rest | python3 -c 'import json,sys; r=json.load(sys.stdin)["rsp"]; print(r["zmqRecvStats"]["flows"] + r["queue_drops"]["flows"])'; }

start_flowgate() {
	if [ -n "${LISTS:-}" ]; then
		mkdir -p "$data/category_lists"
		cp "$LISTS" "$data/category_lists/"
	fi
	"$fgbin" -i "tcp://127.0.0.1:${zport}c" -w "127.0.0.1:$hport" -d "$data" --disable-login \
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
	local prof=""
	if [ -n "${PROFDIR:-}" ]; then
		mkdir -p "$PROFDIR"
		prof="$PROFDIR/$name.pprof"
		curl -sf -o "$prof" "http://127.0.0.1:$hport/debug/pprof/profile?seconds=$((secs > 4 ? secs - 2 : secs))" &
		profpid=$!
	fi
	local cpu0; cpu0=$(cputicks)
	"$fgbin" probe -zmq "tcp://127.0.0.1:$zport" -probe-mode -batch 100 -hosts 1000 \
		-duration "${secs}s" -rate "$rate" "${probe[@]}" >"$data/probe.json"
	# Wait (at most 30 s) until flowgate has counted every record sent.
	local want; want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["flows"])' "$data/probe.json")
	for _ in $(seq 300); do [ "$(counted)" -ge "$want" ] && break; sleep 0.1; done
	local cpu1; cpu1=$(cputicks)
	rest >"$data/rest.json"
	curl -sf "http://127.0.0.1:$hport/metrics" >"$data/metrics.txt"
	local after; after=$(rss)
	[ -z "$prof" ] || wait "$profpid"
	python3 - "$name" "$data/probe.json" "$data/rest.json" "$base" "$after" "$cpu0" "$cpu1" "$(getconf CLK_TCK)" "$data/metrics.txt" <<'PY'
import json, os, sys
name, probe, rest, base, after = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))["rsp"], int(float(sys.argv[4])), int(float(sys.argv[5]))
cpu = (int(sys.argv[7]) - int(sys.argv[6])) / int(sys.argv[8])
z = rest["zmqRecvStats"]
lost = probe["flows"] - z["flows"]
print(f"{name:12s} sent {probe['flows']:>11,} flows in {probe['seconds']:.1f}s = {probe['flows_per_sec']:>11,.0f} flows/s | "
      f"flowgate counted {z['flows']:>11,}, queue drops {rest['queue_drops']['flows']:,}, msg drops {z['zmq_msg_drops']}, "
      f"lost {lost:,} | active flows {rest['num_flows']:,} | RSS {after/2**20:,.0f} MiB "
      + (f"({(after-base)/rest['num_flows']:.0f} B/active flow over the idle baseline)" if rest['num_flows'] else "(no active flow: no per-flow figure)"))
# Engine pauses from the histogram: counts above 12.8 ms and 102.4 ms, by work.
over = {}
waits = maxp = 0.0
for line in open(sys.argv[9]):
    if line.startswith("flowgate_interface_pause_seconds_bucket") and 'ifid="0"' in line:
        labels, v = line.rsplit(" ", 1)
        work = labels.split('work="')[1].split('"')[0]
        le = labels.split('le="')[1].split('"')[0]
        over.setdefault(work, {})[le] = float(v)
    elif line.startswith("flowgate_interface_max_pause_seconds") and 'ifid="0"' in line:
        maxp = float(line.rsplit(" ", 1)[1])
    elif line.startswith("flowgate_interface_queue_waits_total") and 'ifid="0"' in line:
        waits = float(line.rsplit(" ", 1)[1])
def above(work, le):
    b = over.get(work, {})
    return int(b.get("+Inf", 0) - b.get(le, 0))
print(f"{'':12s} collector CPU {cpu:.1f} s = {cpu*1e6/max(z['flows'],1):.2f} µs/flow counted, {cpu*1e6/max(probe['flows'],1):.2f} µs/flow sent | queue waits {waits:,.0f} | "
      f"batches {int(over.get('batch', {}).get('+Inf', 0)):,}, >12.8 ms {above('batch', '0.0128')}, >102 ms {above('batch', '0.1024')}, "
      f"longest {maxp*1e3:.1f} ms | ticks >12.8 ms {above('tick', '0.0128')} of {int(over.get('tick', {}).get('+Inf', 0))}")
PY
	if [ -n "$prof" ] && [ -s "$prof" ]; then
		go tool pprof -top -nodecount=15 "$fgbin" "$prof" 2>/dev/null >"$PROFDIR/$name.top" || true
		echo "             profile: $prof, top 15: $PROFDIR/$name.top"
	fi
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

expanded=()
for s in "${scenarios[@]}"; do
	if [ "$s" = closed ]; then
		expanded+=(closed-tlv-update closed-tlv-new closed-json-update closed-json-new closed-memory)
	else
		expanded+=("$s")
	fi
done
for s in "${expanded[@]}"; do
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
	closed-tlv-update)  run "$s" 0 -- -format tlv -flows 20000 ;;
	closed-tlv-new)     run "$s" 0 --flow-idle-timeout 10 -- -format tlv -flows 100000 -churn 100 ;;
	closed-json-update) run "$s" 0 -- -format json -flows 20000 ;;
	closed-json-new)    run "$s" 0 --flow-idle-timeout 10 -- -format json -flows 100000 -churn 100 ;;
	closed-memory)      run "$s" 0 -- -format tlv -flows 1000000 -total 1000000 -duration 600s ;;
	closed-tlv-new-scripts) run "$s" 0 --flow-idle-timeout 10 --scripts-dir bench/scripts -- -format tlv -flows 100000 -churn 100 ;;
	*) echo "unknown scenario $s"; exit 2 ;;
	esac
done
