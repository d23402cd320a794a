# Included by every function's Makefile. `sam build` (BuildMethod: makefile, built in source:
# samconfig.toml's build_in_source) runs `make build-<LogicalId>` in the function's folder.
#
# One `cargo lambda build` compiles every function at once, so cargo unifies the workspace's
# features and each dependency is compiled once. Built one function at a time (SAM's
# rust-cargolambda method), each build resolved features for its own crate only and the AWS SDK
# crates were compiled up to six times over. The first target builds all the functions; the
# others find cargo's work done and only copy their binary. SAM runs the targets in parallel:
# flock keeps a second cargo-lambda from moving binaries while the first is still writing them.

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(ROOT)/target)
# The function's binary is named as its folder (tests/static_checks.rs holds the template to it).
BINARY := $(notdir $(CURDIR))
FUNCTIONS := $(patsubst $(ROOT)/functions/%/src/main.rs,%,$(wildcard $(ROOT)/functions/*/src/main.rs))

build-%:
	mkdir -p "$(TARGET_DIR)"
	cd "$(ROOT)" && flock "$(TARGET_DIR)/.lambda-build.lock" cargo lambda build --release --arm64 $(addprefix --package ,$(FUNCTIONS))
	cp "$(TARGET_DIR)/lambda/$(BINARY)/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"
