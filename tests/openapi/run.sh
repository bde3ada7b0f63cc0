#!/usr/bin/env bash
# openapi.validate: installs the pinned validator into a build-local folder
# (once per lock file) and validates the tenant API's OpenAPI document.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="$1"
document="$2"
mkdir -p "$prefix"
if ! cmp -s "$here/package-lock.json" "$prefix/package-lock.json" || [ ! -d "$prefix/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$prefix/"
  (cd "$prefix" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
cp "$here/validate.mjs" "$prefix/"
exec node "$prefix/validate.mjs" "$document"
