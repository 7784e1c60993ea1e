#!/usr/bin/env bash
# SNMP load runs (issue 6). Usage:
#
#   bench/snmp.sh [ifaces]          # default 1000
#
# 1. Poll vs snmpbulkwalk: a network namespace with N software interfaces
#    (fgd0..fgd{N-1}: `type dummy`, or `type bridge` where the dummy module is
#    not loadable, e.g. in containers) and net-snmp's snmpd inside it;
#    BenchmarkPollVsBulkwalk walks ifXTable (ifName, ifHCInOctets,
#    ifHCOutOctets) with flowgate's multi-column GETBULK and with
#    snmpbulkwalk (same columns, 25 repetitions, one process per column as a
#    user would run it), checks that every interface and name was read, and
#    reports both times and the ratio flowgate/net-snmp; BenchmarkFullPoll
#    times a whole device poll (system group, ifTable, ifXTable).
# 2. Trap receiver: 200,000 v2c traps paced at 25,000/s over loopback, alert
#    store included (BenchmarkTrapReceiverPaced: "lost" must be 0), and a
#    flood at the sender's pace (BenchmarkTrapReceiverFlood).
#
# Needs root (ip netns) and the Debian packages snmpd and snmp. Without root
# the namespace part is skipped with a message and the trap part still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
go test -c -o /tmp/flowgate-snmp.test ./snmp/

if [ "$(id -u)" != 0 ]; then
  echo "bench/snmp.sh: not root: skipping the ${n}-interface agent (ip netns needs root)" >&2
else
  ns=fgsnmp$$
  ip netns add "$ns"
  trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
  kind=dummy
  if ! ip netns exec "$ns" ip link add fgd0 type dummy 2>/dev/null; then
    kind=bridge
    echo "bench/snmp.sh: dummy interfaces unavailable here: using bridge interfaces" >&2
    ip netns exec "$ns" ip link add fgd0 type bridge
  fi
  {
    for i in $(seq 1 $((n - 1))); do echo "link add fgd$i type $kind"; done
    for i in $(seq 0 $((n - 1))); do echo "link set fgd$i up"; done
    echo "link set lo up"
  } | ip netns exec "$ns" ip -batch -
  echo "namespace $ns: $(ip netns exec "$ns" ip -o link | wc -l) interfaces ($kind)"
  ip netns exec "$ns" env FLOWGATE_SNMP_EXPECT_IFACES="$n" \
    /tmp/flowgate-snmp.test -test.run XXX -test.bench 'PollVsBulkwalk|FullPoll' -test.benchtime 5x
fi
/tmp/flowgate-snmp.test -test.run XXX -test.bench 'TrapReceiver' -test.benchtime 200000x
