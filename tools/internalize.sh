#!/usr/bin/env bash
# Makes the services' top-level types internal (issue 14: the public surface is the cmdlets and Model/).
# Re-runnable: only `public` at the start of a top-level type declaration changes.
set -euo pipefail
cd "$(dirname "$0")/../src/OssmMultiCluster"
find Kube Mesh Pki MeshNames.cs ParserFailure.cs -name '*.cs' -print0 |
  xargs -0 sed -i -E 's/^public ((sealed |static |abstract |partial |readonly )*(class|record|enum|interface|struct) )/internal \1/'
