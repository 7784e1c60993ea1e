#!/usr/bin/env bash
# Alert store figures (docs/alert-store.md):
#  1. write: flow alerts raised through alerts.Store into the SQLite
#     history (synchronous NORMAL, the default; SYNC=FULL for FULL) for
#     SECS seconds (default 60), in a closed loop (chunks of 10,000, each
#     acknowledged by Flush: alerts/s is what was acknowledged as stored),
#     then paced at RATE alerts/s (default 50,000; fails if the store's
#     queue dropped any). min-1s is the slowest second, cpu-us/alert the
#     process's CPU per stored alert.
#  2. the writer alone: 300,000 prebuilt alerts appended straight to the
#     store (BenchmarkWriterCPU): CPU and bytes written per alert, the
#     figures a loaded machine changes least.
#  3. lists: filtered lists over 1,000,000 stored flow alerts (p50-ms,
#     cpu-ms/op). The file is built once and kept in $BENCHDB.
# Usage: [SYNC=FULL] bench/alerts.sh [SECS] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-60}"
RATE="${2:-50000}"
BENCHDB="${BENCHDB:-${TMPDIR:-/tmp}/flowgate-alerts-bench-1m.db}"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
go test -c -o /tmp/flowgate-sqlitestore.test ./alerts/sqlitestore
t=/tmp/flowgate-sqlitestore.test
export FLOWGATE_ALERTS_SYNC="${SYNC:-}"
FLOWGATE_ALERTS_SECONDS="$SECS" FLOWGATE_ALERTS_RATE=0 $t -test.run '^$' -test.bench Sustained -test.benchtime 1x -test.timeout 30m
FLOWGATE_ALERTS_SECONDS="$SECS" FLOWGATE_ALERTS_RATE="$RATE" $t -test.run '^$' -test.bench Sustained -test.benchtime 1x -test.timeout 30m ||
	echo "paced run: $RATE alerts/s NOT sustained (the store dropped alerts)"
$t -test.run '^$' -test.bench WriterCPU -test.benchtime 1x -test.timeout 30m
FLOWGATE_ALERTS_BENCHDB="$BENCHDB" $t -test.run '^$' -test.bench List1M -test.benchtime 30x -test.timeout 30m
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
