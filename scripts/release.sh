#!/usr/bin/env bash
# The mechanical end of a release (docs/reuse.md, "Releasing"), for the git repository of the current
# directory:
#
#   scripts/release.sh check       is HEAD ready to be released as package.json's version? Lists every
#                                  problem and exits 1, or exits 0 saying nothing is missing.
#   scripts/release.sh tag [DIR]   check, then tag HEAD v<version>, pack the tarball into DIR (default:
#                                  the repository root), and record HEAD's commit in CHANGELOG.md's
#                                  entry, committing only that line.
#
# Ready means: a clean working tree; a CHANGELOG.md entry `## [<version>] - YYYY-MM-DD` whose
# `Commit: (recorded at release)` line is still to be filled; no tag v<version> yet. The tarball is
# packed from the tagged commit, so its own changelog carries the placeholder; the tag and the
# recorded line name the commit.
set -euo pipefail

PLACEHOLDER='Commit: (recorded at release)'

usage() {
  echo "usage: scripts/release.sh check | tag [DIR]" >&2
  exit 2
}

caller=$PWD
root=$(git rev-parse --show-toplevel)
cd "$root"
version=$(node -p 'require("./package.json").version')
name=$(node -p 'require("./package.json").name')
tag="v$version"

# The lines of the version's changelog entry, from its heading to the next `## ` heading.
entry() {
  awk -v heading="## [$version]" '
    index($0, heading) == 1 { inside = 1; print; next }
    inside && /^## / { exit }
    inside { print }
  ' CHANGELOG.md
}

problems() {
  if [[ -n "$(git status --porcelain)" ]]; then
    echo "the working tree has uncommitted changes: commit or stash them, so the tag names what is released"
  fi
  if [[ ! -f CHANGELOG.md ]]; then
    echo "there is no CHANGELOG.md"
  else
    local heading
    heading=$(entry | head -n 1)
    if [[ -z "$heading" ]]; then
      echo "CHANGELOG.md has no entry for $version: add '## [$version] - YYYY-MM-DD' with what changed for users"
    elif ! [[ "$heading" =~ ^"## [$version] - "[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
      echo "CHANGELOG.md's entry for $version is not dated ('$heading'): write '## [$version] - YYYY-MM-DD'"
    fi
    if [[ -n "$heading" ]] && ! entry | grep -qxF "$PLACEHOLDER"; then
      echo "CHANGELOG.md's entry for $version has no line '$PLACEHOLDER' to record the release commit in"
    fi
  fi
  if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
    echo "the tag $tag exists already (at $(git rev-parse --short=7 "$tag^{commit}")): bump the version in package.json"
  fi
}

check() {
  local found
  found=$(problems)
  if [[ -n "$found" ]]; then
    echo "$name $version is not ready to release:" >&2
    while IFS= read -r line; do echo "  - $line" >&2; done <<<"$found"
    exit 1
  fi
  echo "$name $version is ready to release from $(git rev-parse --short=7 HEAD)"
}

release() {
  local dest=${1:-$root}
  [[ "$dest" = /* ]] || dest="$caller/$dest"
  check
  local commit tarball
  commit=$(git rev-parse --short=7 HEAD)
  # Packed before tagging: a failed build leaves no tag behind.
  mkdir -p "$dest"
  tarball=$(npm pack --silent --pack-destination "$dest" | tail -n 1)
  git tag -a "$tag" -m "$name $version"
  # Fill the placeholder of this version's entry only.
  awk -v heading="## [$version]" -v placeholder="$PLACEHOLDER" -v line="Commit: $commit (tag \`$tag\`)" '
    index($0, heading) == 1 { inside = 1 }
    inside && /^## / && index($0, heading) != 1 { inside = 0 }
    inside && $0 == placeholder { print line; inside = 0; next }
    { print }
  ' CHANGELOG.md >CHANGELOG.md.tmp
  mv CHANGELOG.md.tmp CHANGELOG.md
  git commit --quiet -m "changelog: record the commit of release $version ($commit, tag $tag)" -- CHANGELOG.md
  echo "released $name $version: tag $tag at $commit; tarball $dest/$tarball"
  echo "push the tag and the changelog commit: git push origin $tag HEAD"
}

case "${1:-}" in
  check) [[ $# -eq 1 ]] || usage; check ;;
  tag) [[ $# -le 2 ]] || usage; release "${2:-}" ;;
  *) usage ;;
esac
