#!/usr/bin/env bash
# Makes the local Debian base image `xares/debian-base:bookworm` without any container registry:
# debootstrap (minbase variant) into a temporary folder, then `docker import` of that tree.
# The workspace Dockerfile builds FROM it on machines that cannot pull debian:bookworm-slim.
#
# Idempotent: does nothing when the image already exists. Needs root (debootstrap), docker, and a
# reachable Debian mirror (taken from this machine's apt sources; default deb.debian.org).
# Environment: XARES_BASE_IMAGE (default xares/debian-base:bookworm), DEBIAN_MIRROR and
# DEBIAN_SECURITY_MIRROR (override the mirrors).
set -euo pipefail

image="${XARES_BASE_IMAGE:-xares/debian-base:bookworm}"
suite="bookworm"

fail() { echo "make-base-image: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || fail "docker is not installed"
docker info >/dev/null 2>&1 || fail "the Docker engine is not reachable (is dockerd running? DOCKER_HOST=${DOCKER_HOST:-unset})"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "make-base-image: $image already exists, nothing to do"
  exit 0
fi

command -v debootstrap >/dev/null 2>&1 || fail "debootstrap is not installed (apt-get install debootstrap)"
[ "$(id -u)" = "0" ] || fail "debootstrap needs root"

# The mirror this machine's apt already uses for an archive whose path ends in $1 ("debian" or
# "debian-security"), from deb822 or one-line sources; $2 when none is configured.
find_mirror() {
  local suffix="$1" fallback="$2" files=() f uri
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && files+=("$f")
  done
  for f in "${files[@]}"; do
    # deb822: "URIs: http://host/debian" ; one-line: "deb [opts] http://host/debian bookworm main"
    uri="$(grep -hE '^[[:space:]]*(URIs:|deb[[:space:]])' "$f" 2>/dev/null \
      | grep -oE '(https?|file)://[^[:space:]]+' \
      | grep -E "/${suffix}/?\$" | head -n1 || true)"
    if [ -n "$uri" ]; then echo "${uri%/}"; return 0; fi
  done
  echo "$fallback"
}

mirror="${DEBIAN_MIRROR:-$(find_mirror debian http://deb.debian.org/debian)}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-$(find_mirror debian-security http://deb.debian.org/debian-security)}"
workdir="$(mktemp -d /tmp/xares-debian-base.XXXXXX)"
cleanup() { rm -rf --one-file-system "$workdir"; }
trap cleanup EXIT

echo "make-base-image: debootstrap --variant=minbase $suite from $mirror"
start=$(date +%s)
if ! debootstrap --variant=minbase "$suite" "$workdir/rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1; then
  tail -n 30 "$workdir/debootstrap.log" >&2 || true
  fail "debootstrap failed (mirror $mirror); see the log lines above"
fi

# The same suites as the official debian:bookworm-slim image, so both bases get the same updates.
cat >"$workdir/rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
SOURCES

# Trim what a container never needs, so the import stays small.
rm -rf "$workdir/rootfs/var/cache/apt/archives/"*.deb "$workdir/rootfs/var/lib/apt/lists/"* 2>/dev/null || true

echo "make-base-image: importing as $image"
tar -C "$workdir/rootfs" -c . \
  | docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["/bin/bash"]' \
      --message "debootstrap --variant=minbase $suite ($mirror)" \
      - "$image" >/dev/null \
  || fail "docker import failed"

echo "make-base-image: $image ready in $(( $(date +%s) - start ))s"
