#!/usr/bin/env bash
# The ClickHouse dump figure (issue 16): records of new flows go into the
# engine at RATE flows/s for SECS seconds, flows end by idle expiry and their
# rows are written into a real ClickHouse (Debian's clickhouse-server, started
# by the test on free ports with a temporary data dir) while ingest goes on.
# Prints the offered rate, the rows/s ClickHouse acknowledged, the process's
# CPU, and fails on any lost row. Usage:
#
#   bench/clickhouse.sh [secs=60] [rate=250000]
#
# On a loaded machine the figures are lower bounds: note `uptime` beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
rate=${2:-250000}
uptime
FLOWGATE_CH_SECS=$secs FLOWGATE_CH_RATE=$rate go test -count=1 -timeout 30m -run '^TestSustainedDump$' -v ./flowexport/clickhouse/ |
	grep -E 'sustained_test|^(--- |ok|FAIL)'
uptime
