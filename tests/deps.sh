#!/usr/bin/env bash
# Install the Debian packages hasan's tests need (listed in tests/host-packages.txt), only if missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t want < <(grep -v '^\s*#' "$here/host-packages.txt" | tr -s ' \t' '\n' | grep -v '^$')
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#want[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/tmp/hasan-deps.log 2>&1 \
  || { tail -30 /tmp/hasan-deps.log; exit 1; }
# The cluster daemons must not run on their own on a test machine: tests start what they need.
for s in pacemaker corosync pcsd openipmi; do
  systemctl disable --now "$s" >/dev/null 2>&1 || true
done
echo "deps: installed ${#missing[@]} packages"
