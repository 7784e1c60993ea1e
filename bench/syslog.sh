#!/usr/bin/env bash
# Syslog load runs over loopback: a sender in the benchmark process, the
# syslog collector (collectors/syslog), the Lua handler runtime (lua/syslog)
# and a handler, for a fixed time; then what was sent, received at the
# socket, handled and lost. Usage:
#
#   bench/syslog.sh [seconds] [scenario...]
#
# Scenarios:
#   tcp-count       RFC 3164 lines, octet-counted TCP, as fast as it goes, into a
#                   Lua handler that counts them
#   udp-count       the same over UDP paced at RATE (default 300,000 msgs/s)
#   tcp-suricata    Suricata EVE flow records (TCP, paced at RATE, default
#                   100,000 msgs/s) into flowgate's suricata.lua, which decodes the
#                   JSON and calls interface.processFlow
#   udp-suricata    the same over UDP
# WORKERS=<n> sets the Lua states per producer (default 1), READERS=<n> the UDP
# reader goroutines (default 2).
#
# "socket_lost" is sent minus received by the collector; "kernel_rcvbuf_drops"
# is the kernel's UDP RcvbufErrors delta during the run; "queue_dropped" the
# events a full producer queue refused. msgs/s is received / (send time +
# drain time until every handler is idle).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(tcp-count udp-count tcp-suricata udp-suricata)

# Larger socket buffers for UDP bursts (where permitted).
if [ -w /proc/sys/net/core/rmem_max ]; then
  cur=$(cat /proc/sys/net/core/rmem_max)
  [ "$cur" -ge 33554432 ] || echo 33554432 > /proc/sys/net/core/rmem_max || true
fi

${GO_TEST_C:-go test -c} -o /tmp/flowgate-syslog-bench.test ./lua/syslog/
for s in "${scenarios[@]}"; do
  tr=${s%%-*}
  h=${s#*-}
  rate=${RATE:-}
  if [ -z "$rate" ]; then
    case $s in
      udp-count) rate=300000 ;;
      *-suricata) rate=100000 ;;
    esac
  fi
  echo "== $s (${secs}s${rate:+, $rate msgs/s}, workers ${WORKERS:-1})"
  (cd lua/syslog && FLOWGATE_SYSLOG_TRANSPORT=$tr FLOWGATE_SYSLOG_HANDLER=$h FLOWGATE_SYSLOG_DURATION=${secs}s \
    FLOWGATE_SYSLOG_RATE=$rate FLOWGATE_SYSLOG_WORKERS=${WORKERS:-1} FLOWGATE_SYSLOG_UDP_READERS=${READERS:-0} \
    /tmp/flowgate-syslog-bench.test -test.run XXX -test.bench 'BenchmarkLoad$' -test.benchtime 1x 2>/dev/null |
    grep Benchmark | tr -s ' \t' '\n' | paste - - | sed -n '2,$p' | awk '{printf "  %-20s %s\n", $2, $1}')
done
