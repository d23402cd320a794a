# Sourced by scripts/lint-deploy and scripts/sam-build: installs the pinned deploy tools once.
#   .venv/deploy            Python venv: aws-sam-cli, cfn-lint, cargo-lambda (brings zig)
#   .venv/deploy/node       asl-validator from tools/deploy-lint/package-lock.json
# Re-installs when a pin changes (the stamp files hold the pins they were made from).

SAM_CLI_VERSION="1.170.0"
CFN_LINT_VERSION="1.58.0"
CARGO_LAMBDA_VERSION="1.9.2"

DEPLOY_VENV="${DEPLOY_VENV:-$ROOT/.venv/deploy}"
DEPLOY_NODE="$DEPLOY_VENV/node"

install_deploy_python_tools() {
  local pins="aws-sam-cli==$SAM_CLI_VERSION cfn-lint==$CFN_LINT_VERSION cargo-lambda==$CARGO_LAMBDA_VERSION"
  if [ -x "$DEPLOY_VENV/bin/sam" ] && [ "$(cat "$DEPLOY_VENV/.pins" 2>/dev/null)" = "$pins" ]; then
    return
  fi
  echo "installing into $DEPLOY_VENV: $pins"
  python3 -m venv "$DEPLOY_VENV"
  "$DEPLOY_VENV/bin/pip" install --quiet --disable-pip-version-check $pins
  echo "$pins" >"$DEPLOY_VENV/.pins"
}

install_deploy_node_tools() {
  local lock="$ROOT/tools/deploy-lint/package-lock.json"
  if [ -x "$DEPLOY_NODE/node_modules/.bin/asl-validator" ] && cmp -s "$lock" "$DEPLOY_NODE/package-lock.json"; then
    return
  fi
  echo "installing asl-validator into $DEPLOY_NODE"
  mkdir -p "$DEPLOY_NODE"
  cp "$ROOT/tools/deploy-lint/package.json" "$lock" "$DEPLOY_NODE/"
  (cd "$DEPLOY_NODE" && npm ci --silent --no-audit --no-fund)
}

install_deploy_lint_tools() {
  install_deploy_python_tools
  install_deploy_node_tools
}
