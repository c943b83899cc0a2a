#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint (pinned), which also runs shellcheck on every
# `run:` block. Installs both into the tools cache on first use (see scripts/lib/tools.sh).
#
#   scripts/actionlint.sh                 lint .github/workflows/*.yml
#   scripts/actionlint.sh FILE...         lint the given workflow files
#
# Exit status: 0 clean, 1 findings, 3 a prerequisite (Go, Python) is missing.
set -euo pipefail

readonly ACTIONLINT_VERSION=v1.7.12
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/tools.sh
source "$root/scripts/lib/tools.sh"

actionlint=$(ensure_go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION")
python_bin=$(ensure_python_tools shellcheck "$root/scripts/requirements/shellcheck.txt")

cd "$root"
if [[ $# -eq 0 ]]; then
  set -- .github/workflows/*.yml
fi
exec "$actionlint" -no-color -shellcheck "$python_bin/shellcheck" "$@"
