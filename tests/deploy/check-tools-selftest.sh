#!/usr/bin/env bash
# Unit tests of the project's own check tools (tools/*), so a check that could
# never fail would be caught here.
set -euo pipefail
cd "$(dirname "$0")/../.."
go=$(command -v go || echo /usr/local/go/bin/go)
export GOMODCACHE=$PWD/var/cache/gomod GOCACHE=$PWD/var/cache/go-build GOFLAGS=-modcacherw GOTOOLCHAIN=local
cd tools/hclcheck
"$go" vet ./...
"$go" test -count=1 ./...
