# Shared set-up for ./mcpcert and tests/run (sourced, not executed): installs
# the missing Debian packages, configures a preset once, builds incrementally.

MCPCERT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

MCPCERT_DEBIAN_PACKAGES=(
  g++ cmake ninja-build pkgconf ccache
  libboost1.81-dev libboost-url1.81-dev
  nlohmann-json3-dev libcpp-httplib-dev libssl-dev libsqlite3-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgoogle-perftools-dev # tcmalloc_minimal, the programs' allocator (MCPCERT_ALLOCATOR)
  # interop.* and openapi.validate: npm installs the pinned MCP tooling and
  # Node 22; ip for unshare -rn. "package@command": the package is installed
  # only when the command is missing, since Node and npm often come from
  # elsewhere (NodeSource), and Debian's npm can't be installed beside them.
  npm@npm iproute2@ip
  wrk # mcpcert bench: cross-checks its load generator on the floor servers
)

# Only the test suite needs these, so only tests/run installs them: xmllint
# validates the JUnit report against tests/junit.xsd, headless Chromium opens
# the HTML report (tests/integration/report_*_test.cpp).
MCPCERT_TEST_DEBIAN_PACKAGES=(libxml2-utils@xmllint chromium@chromium)

mcpcert_fail() {
  echo "mcpcert: $*" >&2
  exit 1
}

mcpcert_install_packages() {
  local missing=() package wanted=("${MCPCERT_DEBIAN_PACKAGES[@]}")
  # The script that sourced this file is $0.
  [ "$(basename "$(dirname "$0")")/$(basename "$0")" = tests/run ] && wanted+=("${MCPCERT_TEST_DEBIAN_PACKAGES[@]}")
  for package in "${wanted[@]}"; do
    if [[ "$package" == *@* ]]; then
      command -v "${package#*@}" >/dev/null 2>&1 || missing+=("${package%@*}")
      continue
    fi
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "mcpcert: installing missing Debian packages: ${missing[*]}" >&2
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || mcpcert_fail "not root and no sudo: install these packages by hand: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || mcpcert_fail "apt-get not found (Debian 12 expected); install by hand: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq >&2 ||
    mcpcert_fail "apt-get update failed; check the network or install by hand: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    mcpcert_fail "apt-get install failed for: ${missing[*]}"
}

# mcpcert_build PRESET [TARGET...]: configure on first use (or when CI asks for
# warnings as errors and the tree was configured without), then let Ninja
# rebuild only what changed.
mcpcert_build() {
  local preset=$1
  shift
  local build_dir="$MCPCERT_ROOT/build/$preset"
  local werror=OFF
  [ -n "${CI:-}" ] && werror=ON
  if [ ! -f "$build_dir/build.ninja" ] ||
    { [ "$werror" = ON ] && ! grep -q '^MCPCERT_WERROR:BOOL=ON$' "$build_dir/CMakeCache.txt" 2>/dev/null; }; then
    echo "mcpcert: configuring the '$preset' build in $build_dir" >&2
    (cd "$MCPCERT_ROOT" && cmake --preset "$preset" -DMCPCERT_WERROR="$werror" >"$MCPCERT_ROOT/build/configure-$preset.log" 2>&1) || {
      cat "$MCPCERT_ROOT/build/configure-$preset.log" >&2
      mcpcert_fail "configuring the '$preset' build failed (log above)"
    }
  fi
  local target_args=()
  local target
  for target in "$@"; do target_args+=(--target "$target"); done
  local log="$MCPCERT_ROOT/build/build-$preset.log"
  if ! cmake --build "$build_dir" "${target_args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    mcpcert_fail "building failed (log above)"
  fi
  if grep -q '^\[' "$log"; then echo "mcpcert: built ($preset)" >&2; fi
}
