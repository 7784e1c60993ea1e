#!/usr/bin/env bash
# Web load runs against a running flowgate with login on (token auth),
# driven by bench/webload (keep-alive Go clients). Usage:
#
#   bench/web.sh [seconds] [clients]
#
# 1. lua-page: a Lua REST endpoint (<scripts>/lua/rest/v2/get/bench/stats.lua)
#    doing interface.select + interface.getStats() + rest_utils.answer.
# 2. host-active: the built-in host/active.lua?perPage=10 over 100,000
#    hosts (a pcap of 100,000 sources, each one UDP packet, read as the
#    only interface).
#
# Prints requests/s, p50/p99 and the load average before and after each
# run (the machine may be shared). FG_ARGS adds flowgate options (e.g.
# FG_ARGS=--disable-timeseries: no sampler reading the 100,000 hosts each
# second beside the requests).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
clients=${2:-8}
hport=${HPORT:-3457}
pw='bench-Passw0rd'

go build -o bin/flowgate ./cmd/flowgate
go build -o bin/webload ./bench/webload
data=$(mktemp -d)
trap 'kill $fg 2>/dev/null || true; rm -rf "$data"' EXIT

mkdir -p "$data/scripts/lua/rest/v2/get/bench"
cat >"$data/scripts/lua/rest/v2/get/bench/stats.lua" <<'LUA'
local rest_utils = require("rest_utils")
local ifid = _GET["ifid"]
if ifid == nil or ifid == "" then
  rest_utils.answer(rest_utils.consts.err.invalid_interface)
  return
end
interface.select(ifid)
rest_utils.answer(rest_utils.consts.success.ok, interface.getStats())
LUA

# 100,000 hosts: 10.(i>>16).(i>>8).i -> 192.0.2.1, one UDP packet each, now.
python3 - "$data/hosts.pcap" <<'PY'
import struct, sys, time
n, now = 100000, int(time.time())
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        src = bytes([10, 2 + (i >> 16), (i >> 8) & 255, i & 255])
        udp = struct.pack("!HHHH", 40000, 53, 8 + 4, 0) + b"ping"
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, bytes([192, 0, 2, 1])) + udp
        eth = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00" + ip
        f.write(struct.pack("<IIII", now, i % 1000000, len(eth), len(eth)) + eth)
PY

./bin/flowgate -i "$data/hosts.pcap" -w "127.0.0.1:$hport" -d "$data" --admin-password "$pw" \
	-m 10.0.0.0/8 -x 300000 -X 300000 ${FG_ARGS:-} 2>"$data/flowgate.log" &
fg=$!
base="http://127.0.0.1:$hport"
for _ in $(seq 100); do curl -sf -u "admin:$pw" "$base/lua/rest/v2/get/ntopng/interfaces.lua" >/dev/null 2>&1 && break; sleep 0.2; done
tok=$(curl -sf -u "admin:$pw" -X POST "$base/lua/rest/v2/create/ntopng/api_token.lua" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["rsp"]["api_token"])')
hosts=0
for _ in $(seq 150); do
	hosts=$(curl -sf -H "Authorization: Token $tok" "$base/lua/rest/v2/get/interface/data.lua?ifid=0" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["rsp"]["num_hosts"])')
	[ "$hosts" -ge 100000 ] && break
	sleep 0.2
done
echo "hosts on ifid 0: $hosts"
curl -sf -H "Authorization: Token $tok" "$base/lua/rest/v2/get/bench/stats.lua?ifid=0" | head -c 200; echo

load() { cut -d' ' -f1-3 /proc/loadavg; }
run() {
	local name=$1 url=$2
	echo "== $name ($clients clients, ${secs}s) load before: $(load)"
	./bin/webload -c "$clients" -d "${secs}s" -H "Authorization: Token $tok" "$url" || true # non-200 answers are printed
	echo "   load after: $(load)"
}
run lua-page "$base/lua/rest/v2/get/bench/stats.lua?ifid=0"
run host-active "$base/lua/rest/v2/get/host/active.lua?ifid=0&perPage=10"
curl -sf -H "Authorization: Token $tok" "$base/metrics" | grep -E '^flowgate_http_lua_(pages_total|states_total)' || true
