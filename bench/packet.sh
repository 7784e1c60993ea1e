#!/usr/bin/env bash
# Packet interface figures (collectors/packet):
#  1. speed: a pcap image replayed at full speed through decoding, flow
#     tracking, the L7 dissectors and export (BenchmarkReplay: one op is one
#     packet; pkts/s, pkts/cpu-s (steady on a shared machine) and allocs/op are the figures), plus the decoder alone
#     and the TLS ClientHello parser (JA3+JA4, once per TLS flow);
#  2. classification: agreement with Debian's ndpiReader (nDPI 4.2,
#     package libndpi-bin) per protocol, on the generated captures, the real
#     capture in collectors/packet/testdata and any files given as arguments.
#
#   bench/packet.sh [capture.pcap ...]
#
# COUNT=<n> repeats the benchmarks (default 3); PKTS=<n> packets per run
# (default 5000000). The machine is shared: take the best of the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-3}
pkts=${PKTS:-5000000}

echo "== speed (one op = one packet)"
go test ./collectors/packet/ -run XXX -bench 'Replay|Decode' -benchtime "${pkts}x" -count "$count"
go test ./collectors/packet/ -run XXX -bench 'ClientHello' -count 1

echo "== agreement with ndpiReader"
files=""
for f in "$@"; do files="${files:+$files,}$(realpath "$f")"; done
FG_PACKET_NDPI_REPORT=1 FG_PACKET_NDPI_FILES="$files" \
	go test ./collectors/packet/ -run TestNDPIAgreementReport -count 1 -v | grep -v -E '^(=== RUN|--- |PASS|ok )'
