#!/bin/sh
# Starts mitmdump as the Xares LLM Logging Proxy (run by tini as PID 1; see the Dockerfile for the contract).
# Runs as root only long enough to prepare the mounted folders, then as the unprivileged user `mitmproxy`.
set -eu
CONFDIR=/var/lib/xares/mitmproxy
RECORDS=/var/lib/xares/records
UPSTREAM_CA=/etc/xares/upstream-ca.pem

mkdir -p "$CONFDIR" "$RECORDS"
# Volumes may be new (root-owned) or reused: the proxy user must own its CA folder and the records folder.
chown mitmproxy:mitmproxy "$CONFDIR" "$RECORDS"
chmod 0700 "$CONFDIR"
chmod 0755 "$RECORDS"

set -- mitmdump \
  --mode regular \
  --listen-host 0.0.0.0 \
  --listen-port 8080 \
  --set confdir="$CONFDIR" \
  --set onboarding=false \
  --set flow_detail=0 \
  --set termlog_verbosity=warn \
  --scripts /opt/xares/xares_recorder.py \
  "$@"
if [ -f "$UPSTREAM_CA" ]; then
  # Extra upstream trust instead of the system store (tests: the fake LLM API's own CA).
  set -- "$@" --set ssl_verify_upstream_trusted_ca="$UPSTREAM_CA"
fi
exec setpriv --reuid=mitmproxy --regid=mitmproxy --init-groups --inh-caps=-all -- "$@"
