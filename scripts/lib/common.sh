# Shared by the project's scripts: one target dir outside the clone, stage timing, installers.
# shellcheck shell=bash

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/narratix/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"

_stage_name=""
_stage_start=0
_stage_report=()

stage() {
  _stage_end
  _stage_name="$1"
  _stage_start=$(date +%s)
  echo "==> $1"
}

_stage_end() {
  if [ -n "$_stage_name" ]; then
    _stage_report+=("$(printf '%5ss  %s' "$(( $(date +%s) - _stage_start ))" "$_stage_name")")
  fi
  _stage_name=""
}

stage_summary() {
  _stage_end
  echo "==> stage times"
  printf '%s\n' "${_stage_report[@]}"
}

# apt packages, installed only when a command is missing: ensure_apt COMMAND PACKAGE...
ensure_apt() {
  local cmd="$1"; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "installing $* (for $cmd)"
  if [ -z "${_apt_updated:-}" ]; then apt-get update -qq; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# python3 with venv/ensurepip (Debian ships them in python3-venv), for the pinned venvs.
ensure_python_venv() {
  ensure_apt python3 python3
  python3 -c 'import ensurepip, venv' 2>/dev/null && return 0
  echo "installing python3-venv"
  if [ -z "${_apt_updated:-}" ]; then apt-get update -qq; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || { echo "cargo is required (rustup)"; exit 1; }
  cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
  cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
  echo "$(cargo --version); target dir $CARGO_TARGET_DIR"
}

# A Korean font for the browser's screenshots (Chromium renders Hangul as boxes without one).
ensure_korean_font() {
  command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ko family 2>/dev/null)" ] && return 0
  echo "installing fonts-nanum (a Korean font for Chromium)"
  if [ -z "${_apt_updated:-}" ]; then apt-get update -qq; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-nanum fontconfig >/dev/null
}

# web/'s pinned npm packages (web/package-lock.json), installed again only when the lock changes.
ensure_web_packages() {
  local web="$1"
  ensure_apt node nodejs
  ensure_apt npm npm
  if [ -d "$web/node_modules" ] && cmp -s "$web/package-lock.json" "$web/node_modules/.narratix-lock"; then
    return 0
  fi
  echo "installing web/'s npm packages (npm ci)"
  (cd "$web" && npm ci --silent --no-audit --no-fund)
  cp "$web/package-lock.json" "$web/node_modules/.narratix-lock"
}
