#!/usr/bin/env bash
# Runs shellcheck (pinned, installed on first use) over the repository's own shell scripts.
#
#   scripts/shellcheck.sh            check scripts/*.sh, scripts/lib/*.sh, scripts/cluster/*.sh and scripts/provision/*.sh
#   scripts/shellcheck.sh FILE...    check the given files
#
# Exit status: 0 clean, 1 findings, 3 Python is missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/tools.sh
source "$root/scripts/lib/tools.sh"

python_bin=$(ensure_python_tools shellcheck "$root/scripts/requirements/shellcheck.txt")

cd "$root"
if [[ $# -eq 0 ]]; then
  set -- scripts/*.sh scripts/lib/*.sh scripts/cluster/*.sh scripts/provision/*.sh
fi
exec "$python_bin/shellcheck" --external-sources "$@"
