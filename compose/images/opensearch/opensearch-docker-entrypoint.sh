#!/bin/bash
# The part of the official image's entrypoint contract the harness relies on: `opensearch` starts the node, every
# environment variable whose name contains a dot (e.g. discovery.type) becomes a `-E` setting, anything else runs
# as given.
set -euo pipefail
if [[ "${1:-}" == opensearch ]]; then
  shift
  settings=()
  while IFS= read -r -d '' entry; do
    name="${entry%%=*}"
    if [[ "$name" == *.* ]]; then
      settings+=("-E${entry}")
    fi
  done < <(env -0)
  exec /usr/share/opensearch/bin/opensearch "${settings[@]}" "$@"
fi
exec "$@"
