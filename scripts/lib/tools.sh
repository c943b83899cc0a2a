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

# find_command NAME FALLBACK... -> prints NAME's path from PATH, else the first executable FALLBACK.
# (A non-interactive shell may lack the PATH entries a login shell adds for Go or pyenv.)
find_command() {
  local name=$1 candidate
  shift
  if command -v "$name" 2>/dev/null; then
    return 0
  fi
  for candidate in "$@"; do
    if [[ -x "$candidate" ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# lock_fd FD -> holds an exclusive lock on the open file descriptor FD until it is closed (when
# flock exists), so parallel test workers never install the same tool into one directory at once.
lock_fd() {
  if command -v flock >/dev/null 2>&1; then
    flock "$1"
  fi
}

# ensure_go_tool NAME PACKAGE VERSION -> prints the path of the installed binary.
# Builds PACKAGE@VERSION with `go install` into a directory named after the version.
ensure_go_tool() {
  local name=$1 package=$2 version=$3
  local bin_dir
  bin_dir="$(tools_dir)/go/${name}-${version}"
  if [[ ! -x "$bin_dir/$name" ]]; then
    local go
    if ! go=$(find_command go /usr/local/go/bin/go /usr/lib/go/bin/go); then
      echo "error: ${name} ${version} is not installed and Go is not on PATH; install Go >= 1.25 and retry" >&2
      return "$TOOLS_MISSING_PREREQUISITE"
    fi
    mkdir -p "$bin_dir"
    (
      lock_fd 9
      if [[ ! -x "$bin_dir/$name" ]]; then
        echo "installing ${package}@${version} into ${bin_dir}" >&2
        GOBIN="$bin_dir" GOFLAGS=-buildvcs=false "$go" install "${package}@${version}" >&2
      fi
    ) 9>"$bin_dir.lock"
  fi
  printf '%s\n' "$bin_dir/$name"
}

# ensure_python_tools NAME REQUIREMENTS_FILE -> prints the venv's bin directory.
# Creates a virtualenv per requirements file content, so changing a pin reinstalls cleanly.
ensure_python_tools() {
  local name=$1 requirements=$2
  local python digest venv
  digest=$( (sha256sum "$requirements" 2>/dev/null || shasum -a 256 "$requirements") | cut -c1-12)
  venv="$(tools_dir)/venv/${name}-${digest}"
  if [[ ! -f "$venv/.installed" ]]; then
    if ! python=$(find_command "${PYTHON:-python3}" /usr/bin/python3); then
      echo "error: ${name} is not installed and ${PYTHON:-python3} is not on PATH; install Python >= 3.9 (with venv) and retry" >&2
      return "$TOOLS_MISSING_PREREQUISITE"
    fi
    mkdir -p "$(dirname "$venv")"
    (
      lock_fd 9
      if [[ ! -f "$venv/.installed" ]]; then
        echo "installing ${name} (${requirements}) into ${venv}" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
          -r "$requirements" >&2
        touch "$venv/.installed"
      fi
    ) 9>"$venv.lock"
  fi
  printf '%s\n' "$venv/bin"
}
