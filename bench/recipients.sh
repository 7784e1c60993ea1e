#!/usr/bin/env bash
# Alert delivery with the persistent queue on: alerts raised into a
# recipient manager (queue in a temp data dir, written per alert) and
# delivered to a syslog TCP receiver (CEF, octet counting) and to a webhook
# receiver (ntopng 0.2 batches, HMAC checked). The goal is 20,000 alerts/s
# each; the alerts/s column is the measured rate.
# Usage: bench/recipients.sh [N]   (alerts per run, default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"
go test -run '^$' -bench 'SyslogTCP|WebhookBatched' -benchtime "${N}x" -count 3 ./alerts/recipients
