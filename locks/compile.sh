#!/usr/bin/env bash
# `make lock`: compile the hash-pinned lock files in locks/ from the packages' pyproject.toml.
#
#   workspace.txt  what `make install` syncs into .venv (third-party packages only)
#   <service>.txt  the third-party closure of one service, what its image installs
#
# The lock files name packages, versions and hashes, never a download address: the installer
# finds them on the index it is configured with. A lock file that exists already is read as
# preferences, so only what a change needs moves (UPGRADE=1 moves everything to the newest).
# Each service is compiled against workspace.txt's pins, so an image runs what the tests ran.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
common=(--universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock")
[ -n "${UPGRADE:-}" ] && common+=(--upgrade)
workspace=(billing-contracts billing-runtime billing-devstack billing-accounts billing-payments billing-invoicing billing-notifications)
no_emit=()
for package in "${workspace[@]}"; do no_emit+=(--no-emit-package "$package"); done

"$UV" pip compile "${common[@]}" "${no_emit[@]}" locks/workspace.in --group pyproject.toml:dev -o locks/workspace.txt

pins=$(mktemp); trap 'rm -f "$pins"' EXIT
grep -E '^[A-Za-z0-9_.-]+==' locks/workspace.txt | sed -E 's/ *\\$//' > "$pins"
for service in accounts payments invoicing notifications; do
  echo "./services/$service" | "$UV" pip compile "${common[@]}" "${no_emit[@]}" --no-annotate -c "$pins" - -o "locks/$service.txt"
done
