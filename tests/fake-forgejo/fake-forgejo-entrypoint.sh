#!/bin/sh
# Entrypoint of the fake Forgejo image (tests only). Like the official image it starts as root, prepares /data
# (the volume) for user git and runs the server as git on port 3000, configured by FORGEJO__section__KEY
# variables. It refuses to start without the settings an unattended Forgejo needs (the installer would show).
set -eu
if [ "${FORGEJO__security__INSTALL_LOCK:-}" != "true" ]; then
  echo "fake-forgejo: FORGEJO__security__INSTALL_LOCK is not true (a real Forgejo would wait in its web installer)" >&2
  exit 1
fi
if [ "${FORGEJO__database__DB_TYPE:-}" != "sqlite3" ]; then
  echo "fake-forgejo: FORGEJO__database__DB_TYPE must be sqlite3 (no database server here)" >&2
  exit 1
fi
mkdir -p /data/fake-forgejo
chown git:git /data /data/fake-forgejo
if [ ! -s /data/fake-forgejo/control-secret ]; then
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > /data/fake-forgejo/control-secret
fi
chown git:git /data/fake-forgejo/control-secret
chmod 600 /data/fake-forgejo/control-secret
export HOME=/home/git
exec setpriv --reuid=git --regid=git --init-groups node /opt/fake-forgejo/server.mjs \
  --data /data/fake-forgejo --host 0.0.0.0 --port "${FORGEJO__server__HTTP_PORT:-3000}" \
  --root-url "${FORGEJO__server__ROOT_URL:-}" --admin-user '' \
  --state /data/fake-forgejo/state.json --control-secret-file /data/fake-forgejo/control-secret
