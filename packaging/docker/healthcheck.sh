#!/bin/bash
# Container health check with what a Debian image has (bash's /dev/tcp, no
# curl): GET /health on the API's port for `all` and `api`, on the worker's
# metrics listener (SCANORCH_METRICS_LISTEN, default 127.0.0.1:9465) for a
# worker; a worker whose listener is off is healthy while its process runs.
# Plain HTTP only: with tls_cert set, point the check at a plain loopback
# listener or override HEALTHCHECK.
set -u
cmdline=$(tr '\0' ' ' </proc/1/cmdline 2>/dev/null || true)
case " $cmdline " in
  *" worker "*)
    listen=${SCANORCH_METRICS_LISTEN:-127.0.0.1:9465}
    [ "$listen" = off ] && exit 0 ;;
  *) listen=${SCANORCH_LISTEN:-127.0.0.1:8836} ;;
esac
port=${listen##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 4 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) exit 1 ;;
esac
