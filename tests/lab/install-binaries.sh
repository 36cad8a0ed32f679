#!/usr/bin/env bash
# Provides kube-apiserver, kube-controller-manager and etcd for the loopback lab.
#   - KUBEBUILDER_ASSETS pointing at a folder with kube-apiserver and etcd (the envtest convention): used as is.
#   - Otherwise, on Debian: builds Kubernetes v1.20.2 from Debian's source package with Go 1.15 (from bullseye),
#     once, into a cache outside the repo (OSSM_LAB_CACHE, default /var/cache/ossm-lab), and uses Debian's etcd.
# Prints the folder holding the binaries on its last line.
set -euo pipefail

cache="${OSSM_LAB_CACHE:-/var/cache/ossm-lab}"
bin="$cache/kubernetes-1.20.2/bin"

if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

have_all() { [[ -x "$bin/kube-apiserver" && -x "$bin/kube-controller-manager" && -x "$bin/etcd" ]]; }
if have_all; then
  echo "$bin"
  exit 0
fi

log() { echo "install-binaries: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "needs root for apt-get (or set KUBEBUILDER_ASSETS)"; exit 1; }

sources=/etc/apt/sources.list.d/debian.sources
extra=/etc/apt/sources.list.d/ossm-lab.sources
if [[ ! -f "$extra" ]]; then
  log "adding deb-src for bookworm and deb for bullseye"
  uri=$(awk '/^URIs:/ {print $2; exit}' "$sources")
  cat > "$extra" <<SRC
Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $uri
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq golang-1.15-go dpkg-dev rsync etcd-server >&2

mkdir -p "$bin"
if [[ ! -x "$bin/kube-apiserver" || ! -x "$bin/kube-controller-manager" ]]; then
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log "fetching Debian's kubernetes source into $work"
  (cd "$work" && apt-get source -qq kubernetes >&2)
  src=$(find "$work" -maxdepth 1 -type d -name 'kubernetes-1.20*' | head -n 1)
  [[ -n "$src" ]] || { log "kubernetes source not found after apt-get source"; exit 1; }
  log "building kube-apiserver and kube-controller-manager with Go 1.15 (about 5 minutes)"
  (
    cd "$src"
    mkdir -p .go/src/k8s.io
    ln -sfn ../../.. .go/src/k8s.io/kubernetes
    env PATH=/usr/lib/go-1.15/bin:$PATH GOPATH="$PWD/.go" CGO_ENABLED=0 GOFLAGS=-mod=vendor \
      make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2
    install -m 0755 _output/local/bin/linux/amd64/kube-apiserver _output/local/bin/linux/amd64/kube-controller-manager "$bin/"
  )
fi
ln -sfn "$(command -v etcd || echo /usr/bin/etcd)" "$bin/etcd"
have_all || { log "binaries missing in $bin after the build"; exit 1; }
echo "$bin"
