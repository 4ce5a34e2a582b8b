#!/usr/bin/env bash
# Runs a command with the local stack's environment (var/edgestream.env,
# written by `scripts/stack.sh start`), unless the caller already set
# KAFKA_BOOTSTRAP_SERVERS. ctest starts the C++ integration tests through it.
set -euo pipefail
env_file="$(cd "$(dirname "$0")/../.." && pwd)/var/edgestream.env"
if [[ -z ${KAFKA_BOOTSTRAP_SERVERS:-} && -f $env_file ]]; then
  # shellcheck disable=SC1090
  source "$env_file"
fi
exec "$@"
