#!/usr/bin/env bash
# alertmath's one entry point. On a fresh machine each command installs what it needs
# (and skips what is already there), then:
#
#   ./build.sh serve   build, then serve www/ on http://127.0.0.1:8000 (PORT=… to change)
#   ./build.sh test    build, then run every test suite and print one summary line
#   ./build.sh build   build the wasm module and the lesson data into www/
#   ./build.sh bench   build, then measure edit-to-redraw times in Chromium
#   ./build.sh dist    build, shrink the wasm with wasm-opt, and copy the site to dist/
set -euo pipefail
cd "$(dirname "$0")"

# The wasm-bindgen CLI must be exactly the version of the crate Cargo.toml pins.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
WASM_TARGET=wasm32-unknown-unknown
WASM_FILE=target/$WASM_TARGET/wasm/alertmath_wasm.wasm
BROWSER_DIR=tests/browser

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif have sudo && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

need_rust() {
  have cargo || die "cargo is missing: install Rust from https://rustup.rs and run this again."
  if ! rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    say "adding the $WASM_TARGET Rust target"
    rustup target add "$WASM_TARGET" || die "could not add the $WASM_TARGET target (rustup target add $WASM_TARGET)."
  fi
  [ -n "$WASM_BINDGEN_VERSION" ] || die "could not read the pinned wasm-bindgen version from Cargo.toml."
  local installed=""
  have wasm-bindgen && installed=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
  if [ "$installed" != "$WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION${installed:+ (found $installed)}; this takes a few minutes once"
    # No --locked: one of the CLI's locked dependencies is not on the registry mirror.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet \
      || die "could not install wasm-bindgen-cli $WASM_BINDGEN_VERSION."
  fi
}

need_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  have apt-get || die "Chromium is missing and there is no apt-get: install chromium and chromium-driver (expected at /usr/bin/chromium and /usr/bin/chromedriver)."
  say "installing Debian's chromium and chromium-driver"
  { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
    || die "could not install chromium and chromium-driver: run this as root, or install them yourself."
}

# promtool (Debian's prometheus package) checks our PromQL evaluation against Prometheus's
# own engine in the native tests.
need_promtool() {
  if have promtool; then return; fi
  have apt-get || die "promtool is missing and there is no apt-get: install Prometheus's promtool (Debian: apt-get install prometheus)."
  say "installing Debian's prometheus package (for promtool)"
  { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } \
    || die "could not install the prometheus package (for promtool): run this as root, or install it yourself."
}

need_node_modules() {
  have node && have npm || die "Node.js and npm are needed for the browser tests: install them (e.g. apt-get install nodejs npm)."
  local stamp="$BROWSER_DIR/node_modules/.installed-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$BROWSER_DIR/package-lock.json" "$stamp"; then
    say "installing playwright-core and binaryen from npm (no browser download)"
    (cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
      || die "npm ci failed in $BROWSER_DIR."
    cp "$BROWSER_DIR/package-lock.json" "$stamp"
  fi
}

build() {
  need_rust
  say "building the wasm module"
  cargo build --quiet --profile wasm --target "$WASM_TARGET" -p alertmath-wasm
  # The name section only names functions in stack traces (a panic's message carries its
  # file and line anyway); without it the module is 118 KB smaller.
  wasm-bindgen --target web --remove-name-section --remove-producers-section --out-dir www/pkg "$WASM_FILE"
  say "building the lessons"
  cargo run --quiet -p alertmath-lessons -- build lessons www/lessons >/dev/null
}

serve() {
  build
  have python3 || die "python3 is needed to serve the site (or serve www/ with any static server)."
  local port=${PORT:-8000}
  say "serving www/ at http://127.0.0.1:$port/ (Ctrl-C to stop)"
  echo "http://127.0.0.1:$port/"
  exec python3 -m http.server --bind 127.0.0.1 --directory www "$port"
}

# Runs one suite, keeps its output in target/test-logs, and records the outcome.
SUITES=()
FAILED=()
suite() {
  local name=$1; shift
  local log="target/test-logs/${name// /-}.log"
  mkdir -p target/test-logs
  say "$name"
  if "$@" >"$log" 2>&1; then
    local count
    count=$(summarise "$log")
    SUITES+=("$name${count:+ ($count)}")
  else
    tail -n 60 "$log" >&2
    FAILED+=("$name (log: $log)")
  fi
}

# "12 tests" from cargo's or our runners' result lines.
summarise() {
  local n
  n=$({ grep -Eo 'test result: ok\. [0-9]+ passed' "$1" || true; } | awk '{s += $4} END {print s + 0}')
  if [ "$n" -gt 0 ]; then echo "$n tests"; return; fi
  { grep -Eo '^ok: [0-9]+ (tests|checks)' "$1" || true; } | tail -n 1 | sed 's/^ok: //'
}

run_tests() {
  build
  need_chromium
  need_node_modules
  need_promtool
  suite "native tests" env ALERTMATH_REQUIRE_PROMTOOL=1 cargo test --workspace --quiet
  suite "clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
  # The wasm suite compares with the native numbers of this very commit.
  cargo run --quiet -p alertmath-lessons -- golden lessons target/golden/analyses.json >/dev/null
  suite "wasm in Chromium" env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
    cargo test --target "$WASM_TARGET" -p alertmath-wasm --test browser
  suite "JS API example (Node)" node docs/api-example.mjs
  suite "browser end-to-end" node "$BROWSER_DIR/run.mjs"
  if [ ${#FAILED[@]} -eq 0 ]; then
    echo "alertmath: all ${#SUITES[@]} suites passed: $(IFS=';'; echo "${SUITES[*]}" | sed 's/;/, /g')"
  else
    echo "alertmath: FAILED ${#FAILED[@]} of $(( ${#SUITES[@]} + ${#FAILED[@]} )) suites: $(IFS=';'; echo "${FAILED[*]}" | sed 's/;/, /g')"
    exit 1
  fi
}

bench() {
  build
  need_chromium
  need_node_modules
  node "$BROWSER_DIR/bench.mjs" "$@"
}

dist() {
  build
  need_node_modules
  rm -rf dist && cp -r www dist
  say "optimising the wasm with binaryen's wasm-opt (npm)"
  node "$BROWSER_DIR/node_modules/binaryen/bin/wasm-opt" -Os --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    dist/pkg/alertmath_wasm_bg.wasm -o dist/pkg/alertmath_wasm_bg.wasm
  local raw gz
  raw=$(wc -c < dist/pkg/alertmath_wasm_bg.wasm)
  gz=$(gzip -9 -c dist/pkg/alertmath_wasm_bg.wasm | wc -c)
  echo "dist/: wasm $raw bytes, $gz bytes gzipped"
}

case "${1:-}" in
  serve) serve ;;
  test) run_tests ;;
  build) build ;;
  bench) shift; bench "$@" ;;
  dist) dist ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
