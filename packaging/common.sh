# Facts both package builders share (sourced by packaging/deb/build-deb.sh and packaging/rpm/build-rpm.sh).
# The agents are discovered the way the Makefile discovers them: every agents/<name> is the OCF agent
# <name>, every fence/fence_hasan_* is a fence agent of that name.

# shellcheck shell=bash
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "${0##*/}: $*" >&2; exit 1; }

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (Debian: apt-get install ${TOOL_PACKAGE[$tool]:-$tool})"
  done
}
declare -A TOOL_PACKAGE=([dpkg-deb]=dpkg [dpkg-shlibdeps]=dpkg-dev [rpmbuild]=rpm [git]=git [cargo]="cargo (or rustup)")

# [workspace.package] version in Cargo.toml: the one version of every crate and of the packages.
workspace_version() {
  sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$repo/Cargo.toml"
}

# [workspace.package] repository in Cargo.toml.
workspace_repository() {
  sed -n '/^\[workspace\.package\]/,/^\[/s/^repository *= *"\([^"]*\)".*/\1/p' "$repo/Cargo.toml"
}

resource_agents() { local d; for d in "$repo"/agents/*/; do [ -f "$d/Cargo.toml" ] && basename "$d"; done; }
fence_agents() { local d; for d in "$repo"/fence/fence_hasan_*/; do [ -f "$d/Cargo.toml" ] && basename "$d"; done; }

# Who the packages name as maintainer; Debian's DEBFULLNAME/DEBEMAIL override it.
maintainer() { echo "${DEBFULLNAME:-hasan developers} <${DEBEMAIL:-hasan@example.invalid}>"; }

# Timestamps in the packages: the last commit's time, so rebuilding one commit gives the same dates.
source_date_epoch() {
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then echo "$SOURCE_DATE_EPOCH"
  else git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s
  fi
}

git_describe() { git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown; }

# "name version: license" of every crate linked into the shipped binaries (proc macros and
# dev-dependencies are not linked), for the copyright file.
linked_crates() {
  local d
  for d in $(resource_agents | sed 's|^|agents/|') $(fence_agents | sed 's|^|fence/|') hasan; do
    (cd "$repo/$d" && cargo tree --locked --offline -e normal,no-proc-macro --prefix none -f '{p}|{l}') \
      || die "cargo tree failed in $d"
  done | sed 's/ (\*)$//' | grep -v ' (/' | sed 's/^\([^ ]*\) v\([^ |]*\)[^|]*|/\1 \2: /' | sort -u
}
