# shellcheck shell=bash
# Shared by the bench scripts (sourced, not run).

# need COMMAND PACKAGE: returns if COMMAND exists; otherwise installs the Debian PACKAGE when
# running as root with apt-get, or exits 1 naming the package to install.
need() {
  command -v "$1" >/dev/null 2>&1 && return
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing $2 with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "$1 is missing: install the Debian package $2" >&2
    exit 1
  fi
}
