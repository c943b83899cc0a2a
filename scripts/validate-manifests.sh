#!/usr/bin/env bash
# Validates Kubernetes manifests offline against the Kubernetes OpenAPI schemas shipped in the
# kubernetes-validate package (strict: unknown fields are errors), for each Kubernetes version in
# KUBERNETES_VERSIONS. Installs the pinned tool into the tools cache on first use.
#
#   scripts/validate-manifests.sh plan/dev/kubernetes [MORE_FILES_OR_DIRS...]
#
# Exit status: 0 all valid, 1 a manifest is invalid (or none was found), 3 Python is missing.
set -euo pipefail

# The oldest Kubernetes minor this project supports and the newest the schemas cover.
KUBERNETES_VERSIONS=${KUBERNETES_VERSIONS:-"1.31.0 1.37.0"}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/tools.sh
source "$root/scripts/lib/tools.sh"

if [[ $# -eq 0 ]]; then
  echo "usage: $0 FILE_OR_DIR..." >&2
  exit 2
fi
python_bin=$(ensure_python_tools kubernetes-validate "$root/scripts/requirements/kubernetes-validate.txt")

manifests=()
for target in "$@"; do
  if [[ -d "$target" ]]; then
    while IFS= read -r -d '' file; do manifests+=("$file"); done \
      < <(find "$target" -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)
  else
    manifests+=("$target")
  fi
done
if [[ ${#manifests[@]} -eq 0 ]]; then
  echo "error: no manifests found in: $*" >&2
  exit 1
fi

status=0
for version in $KUBERNETES_VERSIONS; do
  if "$python_bin/kubernetes-validate" --strict --quiet --kubernetes-version "$version" "${manifests[@]}"; then
    echo "${#manifests[@]} manifest(s) valid against Kubernetes ${version} (strict)"
  else
    status=1
  fi
done
exit "$status"
