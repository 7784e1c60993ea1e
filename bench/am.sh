#!/usr/bin/env bash
# Active monitoring cost: CPU seconds of one round of 1,000 ICMP hosts on
# loopback addresses (127.0.0.1-127.0.3.250, answered by the kernel), and
# the share of a core that is at one round per minute (target <= 2 %).
# Needs root (raw ICMP sockets where ping_group_range forbids datagram ones).
# Usage: bench/am.sh [ROUNDS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./activemon -run XXX -bench 'Round1000' -benchtime "${N}x" -count 3 | grep -E '^Benchmark'
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
