# shellcheck shell=bash
# Pinned developer tools (actionlint, shellcheck, kubernetes-validate) installed on first use into a
# per-user cache, so the test command needs nothing beyond Go, Python 3 and the package registries.
# Sourced by scripts/*.sh; not meant to be run.

# Exit code a script uses when a prerequisite (Go, Python) is missing, so callers can tell
# "cannot run here" apart from "found problems".
readonly TOOLS_MISSING_PREREQUISITE=3

# Where installed tools live; override with RUST_SERVICE_TOOLS_DIR (CI caches this directory).
tools_dir() {
  printf '%s\n' "${RUST_SERVICE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-service-pulumi/tools}"
}

# ensure_go_tool NAME PACKAGE VERSION -> prints the path of the installed binary.
# Builds PACKAGE@VERSION with `go install` into a directory named after the version.
ensure_go_tool() {
  local name=$1 package=$2 version=$3
  local bin_dir
  bin_dir="$(tools_dir)/go/${name}-${version}"
  if [[ ! -x "$bin_dir/$name" ]]; then
    if ! command -v go >/dev/null 2>&1; then
      echo "error: ${name} ${version} is not installed and Go is not on PATH; install Go >= 1.25 and retry" >&2
      return "$TOOLS_MISSING_PREREQUISITE"
    fi
    echo "installing ${package}@${version} into ${bin_dir}" >&2
    mkdir -p "$bin_dir"
    GOBIN="$bin_dir" GOFLAGS=-buildvcs=false go install "${package}@${version}" >&2
  fi
  printf '%s\n' "$bin_dir/$name"
}

# ensure_python_tools NAME REQUIREMENTS_FILE -> prints the venv's bin directory.
# Creates a virtualenv per requirements file content, so changing a pin reinstalls cleanly.
ensure_python_tools() {
  local name=$1 requirements=$2
  local python=${PYTHON:-python3}
  local digest venv
  digest=$(sha256sum "$requirements" | cut -c1-12)
  venv="$(tools_dir)/venv/${name}-${digest}"
  if [[ ! -f "$venv/.installed" ]]; then
    if ! command -v "$python" >/dev/null 2>&1; then
      echo "error: ${name} is not installed and ${python} is not on PATH; install Python >= 3.9 and retry" >&2
      return "$TOOLS_MISSING_PREREQUISITE"
    fi
    echo "installing ${name} (${requirements}) into ${venv}" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      -r "$requirements" >&2
    touch "$venv/.installed"
  fi
  printf '%s\n' "$venv/bin"
}
