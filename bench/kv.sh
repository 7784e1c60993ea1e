#!/usr/bin/env bash
# ntop.getCache/setCache from Lua: embedded store, and Redis against
# redis-benchmark's GET/SET rate with the same pipelining (1 client, no
# pipelining: one Lua state issues one command at a time).
# Usage: bench/kv.sh [N]   (N calls per benchmark, default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
echo "== redis-benchmark -c 1 -P 1 -n $N -t get,set"
redis-benchmark -p "$port" -c 1 -P 1 -n "$N" -t set,get -q 2>&1 | tr "\r" "\n" | grep "requests per second"
echo "== flowgate (Lua → kv), $N calls each"
FLOWGATE_BENCH_REDIS="127.0.0.1:$port" go test ./lua/api -run XXX -bench 'NtopCache' -benchtime "${N}x" | grep -E '^Benchmark'
