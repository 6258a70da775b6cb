#!/usr/bin/env bash
# `npm run images`: makes sure our images exist: the workspace image (resources/images/workspace/image.json)
# and the squid proxy image (resources/images/squid/image.json), both FROM the same Debian base.
# Idempotent and cached by tag: when the image is there this takes a few seconds.
#
# 1. When neither the official base (debian:bookworm-slim) nor the local one (xares/debian-base:bookworm)
#    is on the engine and the official one cannot be pulled (no registry), makes the local base with
#    scripts/make-base-image.sh (needs debootstrap and root).
# 2. Builds each image whose tag is missing: npx tsx scripts/build-images.ts (progress per Dockerfile step).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

local_base="xares/debian-base:bookworm"
official_base="debian:bookworm-slim"

if ! docker info >/dev/null 2>&1; then
  echo "ensure-images: the Docker engine is not reachable (DOCKER_HOST=${DOCKER_HOST:-unset}); start dockerd first" >&2
  exit 1
fi

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

if ! has_image "$local_base" && ! has_image "$official_base"; then
  if docker pull "$official_base" >/dev/null 2>&1; then
    echo "ensure-images: pulled $official_base"
  elif command -v debootstrap >/dev/null 2>&1; then
    echo "ensure-images: $official_base cannot be pulled here; making $local_base with debootstrap"
    bash scripts/make-base-image.sh
  else
    echo "ensure-images: $official_base cannot be pulled and debootstrap is not installed;" \
      "install debootstrap (apt-get install debootstrap) or make a registry reachable" >&2
    exit 1
  fi
fi

exec npx --no-install tsx scripts/build-images.ts
