#!/usr/bin/env bash
# The loopback multi-cluster lab: each cluster is an etcd, a kube-apiserver and a kube-controller-manager on
# 127.0.0.1, with its own CA, admin token and kubeconfig (certificate-authority-data, never insecure-skip-tls-verify).
# A stand-in for a cloud load balancer gives LoadBalancer Services a status.loadBalancer.ingress address.
#
#   lab.sh start <dir> [--lb-hostname <cluster>]... [--crds <cluster>=lab|ossm2|ossm3|none]... [--no-crds <cluster>]... [--delay-ms <one-way ms>] <cluster>...
#   lab.sh stop <dir> [--purge]
#   lab.sh stop-cluster <dir> <cluster>     (stops one cluster's processes, as a cluster that went down)
#   lab.sh stop-apiserver <dir> <cluster>   (kills only its kube-apiserver: the cluster is down until start-apiserver)
#   lab.sh start-apiserver <dir> <cluster>  (starts that kube-apiserver again, same port, certificates and data)
#   lab.sh status <dir>
#
# start writes <dir>/<cluster>.kubeconfig per cluster and prints their paths; <dir>/<cluster>-nobody.kubeconfig
# holds a user the cluster authenticates but grants nothing (for forbidden-cluster tests). A Service's annotation
# ossm-lab/ingress: ip|hostname|none overrides the cluster's address form ("none": never gets an address).
# start first stops whatever a crashed earlier run left in <dir>.
# --crds picks a cluster's CRDs: lab (default: tests/lab/crds, the project's own), ossm2 or ossm3 (the real CRDs the
# OSSM 2.6 or OSSM 3 operator installs, from ../shared/reference/upstream/crds, or $OSSM_LAB_UPSTREAM_CRDS), none
# (a cluster without an operator; --no-crds <cluster> says the same). One set per cluster: ossm2 and ossm3 define
# some CRDs of the same name in different versions.
# --delay-ms puts a relay (tests/lab/LatencyRelay, built into out/LatencyRelay) in front of each API server that delays
# every chunk by that much in each direction (a round trip costs twice it; chunks in flight are not held back by the
# ones behind them; TLS passes through untouched), and the kubeconfigs point at the relay (127.0.0.1, another port: the
# API server's certificate still verifies). The lab's own tools (load balancer, controller manager, CRDs) use
# <dir>/<cluster>/direct.kubeconfig, which skips the relay.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "lab.sh: $*" >&2; exit 1; }
log() { [[ -n "${OSSM_LAB_QUIET:-}" ]] || echo "lab.sh: $*" >&2; }

# A port below the kernel's ephemeral range (outgoing connections take those, and a port one of them holds cannot
# be bound even though nothing listens on it), used by no socket now and not yet handed out by this run.
# Clusters start in parallel: the choice is made under a lock.
free_port() {
  local port low
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  exec 9>>"$dir/.ports.lock"
  flock 9
  for port in $(shuf -i 20000-$((low - 1)) -n 200); do
    if [[ -z "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ]] && ! grep -qx "$port" "$dir/.ports" 2>/dev/null; then
      echo "$port" >> "$dir/.ports"
      flock -u 9
      echo "$port"
      return
    fi
  done
  flock -u 9
  die "no free port found"
}

start_daemon() { # name logfile command...
  local name=$1 logfile=$2
  shift 2
  printf '%q ' "$@" > "$cdir/$name.cmd"
  setsid "$@" >>"$logfile" 2>&1 < /dev/null &
  echo $! > "$cdir/$name.pid"
}

stop_daemon() { # cluster name
  local pidfile=$dir/$1/$2.pid pid
  [[ -f "$pidfile" ]] || return 0
  pid=$(cat "$pidfile")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

make_pki() {
  local pki=$cdir/pki
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -subj "/O=ossm-lab/CN=$cluster-lab-ca" -days 30 -out ca.crt \
      -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out apiserver.key 2>/dev/null
    openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' > apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 0600 ca.key apiserver.key sa.key
  )
}

# The relay's program, built once (dotnet build) when it is missing or older than its source.
relay_dll() {
  local repo dll
  repo=$(cd "$here/../.." && pwd)
  dll=$repo/out/LatencyRelay/LatencyRelay.dll
  if [[ ! -f "$dll" || "$here/LatencyRelay/Program.cs" -nt "$dll" ]]; then
    dotnet build "$here/LatencyRelay/LatencyRelay.csproj" -c Release -nologo -v quiet >&2 || die "LatencyRelay did not build"
  fi
  echo "$dll"
}

start_relay() { # kubeconfig api_port
  local kc=$1 api_port=$2 relay_port deadline
  relay_port=$(free_port)
  start_daemon relay "$cdir/relay.log" dotnet "$relay_dll" --listen "127.0.0.1:$relay_port" --target "127.0.0.1:$api_port" --delay-ms "$delay_ms"
  deadline=$((SECONDS + 30))
  until [[ -n "$(ss -Htln "( sport = :$relay_port )" 2>/dev/null)" ]]; do
    ((SECONDS < deadline)) || die "$cluster: the latency relay did not listen in 30 s (see $cdir/relay.log)"
    sleep 0.1
  done
  sed -i "s#server: https://127.0.0.1:$api_port\$#server: https://127.0.0.1:$relay_port#" "$kc" "$dir/$cluster-nobody.kubeconfig"
}

wait_ready() { # kubeconfig seconds
  local deadline=$((SECONDS + $2))
  until kubectl --kubeconfig "$1" get --raw /readyz >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

# The stand-in for a cloud load balancer: every LoadBalancer Service without an address gets one.
lb_loop() { # kubeconfig cluster form index
  # Runs for the cluster's life, through API server outages: a failing kubectl must not end it (set -e, pipefail).
  set +e +o pipefail
  local kc=$1 cluster=$2 form=$3 index=$4 next=1
  while true; do
    kubectl --kubeconfig "$kc" get svc -A -o \
      jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.namespace}{" "}{.metadata.name}{" "}{.metadata.annotations.ossm-lab/ingress}{" "}{.status.loadBalancer.ingress}{"\n"}{end}' 2>/dev/null |
      while read -r ns name wanted ingress; do
        [[ -z "$ingress" && "$wanted" != "none" ]] || continue
        [[ "$wanted" == "ip" || "$wanted" == "hostname" ]] || { ingress=$wanted; wanted=$form; }
        [[ -z "$ingress" ]] || continue
        if [[ "$wanted" == "hostname" ]]; then
          address="{\"hostname\":\"$name.$ns.$cluster.elb.lab.test\"}"
        else
          address="{\"ip\":\"127.$((100 + index)).0.$next\"}"
          next=$((next + 1))
        fi
        kubectl --kubeconfig "$kc" -n "$ns" patch service "$name" --subresource=status --type=merge \
          -p "{\"status\":{\"loadBalancer\":{\"ingress\":[$address]}}}" >/dev/null 2>&1 || true
      done
    sleep 1
  done
}

crd_folder() { # lab|ossm2|ossm3
  case "$1" in
    lab) echo "$here/crds" ;;
    ossm2|ossm3) echo "${OSSM_LAB_UPSTREAM_CRDS:-$here/../../../shared/reference/upstream/crds}/$1" ;;
    *) die "unknown CRD set '$1' (lab, ossm2, ossm3 or none)" ;;
  esac
}

start_cluster() { # cluster index lbform crds
  cluster=$1
  local index=$2 lbform=$3 crds=$4
  cdir=$dir/$cluster
  rm -rf "$cdir"
  mkdir -p "$cdir/etcd"
  chmod 0700 "$cdir"
  make_pki
  local token etcd_port peer_port api_port kcm_port
  token=$(openssl rand -hex 24)
  # A second user, with no RBAC grants at all, for tests of a forbidden cluster.
  (umask 077 && printf '%s,admin,admin,system:masters\n%s,nobody,nobody\n' "$token" "$(openssl rand -hex 24)" > "$cdir/tokens.csv")
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port); kcm_port=$(free_port)

  start_daemon etcd "$cdir/etcd.log" "$bin/etcd" --name "$cluster" --data-dir "$cdir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "$cluster=http://127.0.0.1:$peer_port" --quota-backend-bytes 1073741824

  start_daemon kube-apiserver "$cdir/kube-apiserver.log" "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" --secure-port "$api_port" --bind-address 127.0.0.1 \
    --tls-cert-file "$cdir/pki/apiserver.crt" --tls-private-key-file "$cdir/pki/apiserver.key" \
    --token-auth-file "$cdir/tokens.csv" --service-account-key-file "$cdir/pki/sa.pub" \
    --service-account-signing-key-file "$cdir/pki/sa.key" --service-account-issuer https://kubernetes.default.svc \
    --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/16 --enable-priority-and-fairness=false

  local kc=$dir/$cluster.kubeconfig
  (
    umask 077
    KUBECONFIG=$kc kubectl config set-cluster "$cluster" --server "https://127.0.0.1:$api_port" \
      --certificate-authority "$cdir/pki/ca.crt" --embed-certs >/dev/null
    KUBECONFIG=$kc kubectl config set-credentials "$cluster-admin" --token "$token" >/dev/null
    KUBECONFIG=$kc kubectl config set-context "$cluster" --cluster "$cluster" --user "$cluster-admin" >/dev/null
    KUBECONFIG=$kc kubectl config use-context "$cluster" >/dev/null
  )
  wait_ready "$kc" 60 || die "$cluster: kube-apiserver not ready in 60 s (see $cdir/kube-apiserver.log)"
  (
    umask 077
    sed "s/token: .*/token: $(sed -n 2p "$cdir/tokens.csv" | cut -d, -f1)/; s/$cluster-admin/$cluster-nobody/g" "$kc" > "$dir/$cluster-nobody.kubeconfig"
    cp "$kc" "$cdir/direct.kubeconfig"
  )
  local direct=$cdir/direct.kubeconfig
  [[ -z "$delay_ms" ]] || start_relay "$kc" "$api_port"

  # envtest's KUBEBUILDER_ASSETS have no controller manager: then there are no service-account token secrets.
  [[ -x "$bin/kube-controller-manager" ]] || log "$cluster: no kube-controller-manager in $bin; service-account token secrets will not be created"
  [[ ! -x "$bin/kube-controller-manager" ]] || start_daemon kube-controller-manager "$cdir/kube-controller-manager.log" "$bin/kube-controller-manager" \
    --kubeconfig "$direct" --port 0 --secure-port "$kcm_port" --bind-address 127.0.0.1 --leader-elect=false \
    --service-account-private-key-file "$cdir/pki/sa.key" --root-ca-file "$cdir/pki/ca.crt" \
    --use-service-account-credentials=false \
    --controllers '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service,-route'

  if [[ "$crds" != none ]]; then
    local crd_dir
    crd_dir=$(crd_folder "$crds")
    # kube-apiserver 1.20 does not know newer schema fields (x-kubernetes-validations): kubectl must not refuse them
    # on its side, and server-side apply would refuse them where a create drops them (the cluster is new: create).
    kubectl --kubeconfig "$direct" create --validate=false -f "$crd_dir" >/dev/null
    # A CRD whose status the server has not written yet makes kubectl wait fail at once instead of waiting: retry.
    local tries=0
    until kubectl --kubeconfig "$direct" wait --for condition=established --timeout=20s -f "$crd_dir" >/dev/null 2>&1; do
      tries=$((tries + 1))
      [[ $tries -lt 6 ]] || die "$cluster: the $crds CRDs were not established (kubectl wait --for condition=established)"
      sleep 1
    done
  fi

  lb_loop "$direct" "$cluster" "$lbform" "$index" > /dev/null 2>&1 &
  echo $! > "$cdir/lb.pid"
  echo "$kc"
}

stop_lab() {
  local pidfile pid
  for pidfile in "$dir"/*/lb.pid "$dir"/*/relay.pid "$dir"/*/kube-controller-manager.pid "$dir"/*/kube-apiserver.pid "$dir"/*/etcd.pid; do
    [[ -f "$pidfile" ]] || continue
    pid=$(cat "$pidfile")
    # Daemons run in their own session (setsid): end the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  # Anything still running from this lab folder (a crash can lose pid files).
  pkill -TERM -f -- "$dir/" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while pgrep -f -- "$dir/" >/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  pkill -KILL -f -- "$dir/" 2>/dev/null || true
  rm -f "$dir/.ports" "$dir/.ports.lock"
}

command=${1:-}; [[ -n "$command" ]] || die "usage: lab.sh start|stop|status <dir> ..."
shift
[[ $# -ge 1 ]] || die "usage: lab.sh $command <dir> ..."
mkdir -p "$1"
dir=$(cd "$1" && pwd)
shift

case "$command" in
  start)
    declare -A hostname_lb=() crd_set=()
    clusters=()
    delay_ms=
    while [[ $# -gt 0 ]]; do
      case "$1" in
        --lb-hostname) hostname_lb[$2]=1; shift 2 ;;
        --no-crds) crd_set[$2]=none; shift 2 ;;
        --crds) [[ "$2" =~ ^([a-z0-9-]+)=(lab|ossm2|ossm3|none)$ ]] || die "--crds takes <cluster>=lab|ossm2|ossm3|none, not '$2'"
                crd_set[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}; shift 2 ;;
        --delay-ms) [[ "${2:-}" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--delay-ms takes a one-way delay in milliseconds"
                    delay_ms=$2; shift 2 ;;
        -*) die "unknown option $1" ;;
        *) [[ "$1" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "cluster name '$1' is not a DNS-1123 label"
           clusters+=("$1"); shift ;;
      esac
    done
    [[ ${#clusters[@]} -gt 0 ]] || die "name at least one cluster"
    for c in "${!crd_set[@]}"; do
      [[ "${crd_set[$c]}" == none ]] || [[ -d "$(crd_folder "${crd_set[$c]}")" ]] ||
        die "$c: CRD set ${crd_set[$c]} not found at $(crd_folder "${crd_set[$c]}")"
    done
    bin=$("$here/install-binaries.sh" | tail -n 1)
    relay_dll=""
    [[ -z "$delay_ms" ]] || relay_dll=$(relay_dll)
    stop_lab
    log "starting ${clusters[*]} in $dir"
    pids=()
    for i in "${!clusters[@]}"; do
      c=${clusters[$i]}
      form=ip; [[ -z "${hostname_lb[$c]:-}" ]] || form=hostname
      crds=${crd_set[$c]:-lab}
      start_cluster "$c" "$i" "$form" "$crds" > "$dir/.$c.out" &
      pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    if ((failed)); then stop_lab; die "a cluster failed to start"; fi
    for c in "${clusters[@]}"; do cat "$dir/.$c.out"; rm -f "$dir/.$c.out"; done
    ;;
  stop)
    stop_lab
    [[ "${1:-}" != "--purge" ]] || rm -rf "$dir"
    ;;
  stop-cluster)
    [[ $# -eq 1 ]] || die "usage: lab.sh stop-cluster <dir> <cluster>"
    for name in lb relay kube-controller-manager kube-apiserver etcd; do
      pidfile=$dir/$1/$name.pid
      [[ -f "$pidfile" ]] || continue
      pid=$(cat "$pidfile")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      rm -f "$pidfile"
    done
    pkill -TERM -f -- "$dir/$1/" 2>/dev/null || true
    ;;
  stop-apiserver)
    [[ $# -eq 1 ]] || die "usage: lab.sh stop-apiserver <dir> <cluster>"
    stop_daemon "$1" kube-apiserver
    ;;
  start-apiserver)
    [[ $# -eq 1 ]] || die "usage: lab.sh start-apiserver <dir> <cluster>"
    cdir=$dir/$1
    [[ -f "$cdir/kube-apiserver.cmd" ]] || die "$1: no kube-apiserver was started in $dir"
    [[ ! -f "$cdir/kube-apiserver.pid" ]] || die "$1: kube-apiserver is running (stop-apiserver first)"
    eval "start_daemon kube-apiserver \"\$cdir/kube-apiserver.log\" $(cat "$cdir/kube-apiserver.cmd")"
    wait_ready "$dir/$1.kubeconfig" 60 || die "$1: kube-apiserver not ready in 60 s (see $cdir/kube-apiserver.log)"
    ;;
  status)
    for kc in "$dir"/*.kubeconfig; do
      [[ -f "$kc" ]] || continue
      if kubectl --kubeconfig "$kc" get --raw /readyz >/dev/null 2>&1; then echo "$(basename "$kc" .kubeconfig) ready"; else echo "$(basename "$kc" .kubeconfig) down"; fi
    done
    ;;
  *) die "unknown command $command" ;;
esac
