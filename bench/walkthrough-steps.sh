#!/usr/bin/env bash
# The multi-primary walkthrough's steps 4-10, 12 and 14 as its authors wrote them
# (/work/shared/reference/ossm-2.6-multi-primary-walkthrough.txt, "How to enable multi-primary in OpenShift Service
# Mesh 2.6"): the reference side of bench/end-to-end.ps1, which times it against the module's pipeline.
#
#   KUBECONFIG_WEST=... KUBECONFIG_EAST=... bench/walkthrough-steps.sh <work-dir>
#
# Optional: CACERTS_FROM=<dir> skips steps 4-5 (untimed copy of <dir>, laid out as they write it: root/, west/, east/),
# so that the Kubernetes steps are timed with CA files both sides share. KUBECTL_V=6 runs every kubectl with -v=6,
# which logs each HTTP request to walkthrough.log (the benchmark counts them).
# Optional: LB_WEST / LB_EAST = ip (the walkthrough's "On GCP or Azure" lines, default) or hostname ("On AWS").
#
# What is faithful: every line of those steps is here, verbatim and in order, and every heredoc byte for byte
# (tests/Module/Scripts.Tests.ps1 checks both against the walkthrough's text). Its
# aliases oc-west/oc-east are functions that run one kubectl each: every oc call is one kubectl process (the oc
# commands of these steps are kubectl's).
#
# What is added, and why:
#  - Timing: each step is timed with bash's $EPOCHREALTIME; the times go to fd 3 as "time <step> <seconds>" lines,
#    the commands' own output to <work-dir>/walkthrough.log (the walkthrough shows it on a terminal).
#  - UNTIMED, between steps 7 and 8: the OSSM operator's part. On OpenShift the operator creates
#    istio-reader-service-account when the ServiceMeshControlPlane is applied; step 9's 'oc create token' needs it.
#    The lab has no operator, so operator_stand_in creates the service account, outside the timed steps (the module's
#    side gets the same stand-in at the same point, also untimed).
#  - Steps 12 and 14 read the gateway's load-balancer address once, with the AWS (hostname) or the GCP/Azure (ip)
#    line: LB_WEST/LB_EAST choose which. A cloud assigns the address asynchronously, and so does the lab's stand-in
#    load balancer, so the read is repeated every 0.5 s until it is non-empty: the module's Wait-MeshGateway polls at
#    the same interval. The time spent getting the address is also reported apart ("time step12-address ..."), and
#    is part of step 12's time.
#  - Step 11 (bookinfo and sleep) and the connectivity checks (13, 15-20) need running workloads and are not run.
set -euo pipefail

work=${1:?usage: walkthrough-steps.sh <work-dir>}
: "${KUBECONFIG_WEST:?KUBECONFIG_WEST must name the west cluster's kubeconfig}"
: "${KUBECONFIG_EAST:?KUBECONFIG_EAST must name the east cluster's kubeconfig}"
KUBECONFIG_WEST=$(realpath "$KUBECONFIG_WEST")
KUBECONFIG_EAST=$(realpath "$KUBECONFIG_EAST")
LB_WEST=${LB_WEST:-ip}
LB_EAST=${LB_EAST:-ip}
# Step 1 (untimed: the bench gives the folder).
mkdir -p "$work"
cd "$work"
exec 3>&1 1>>walkthrough.log 2>&1

# $EPOCHREALTIME in microseconds, whatever the locale's decimal point.
started=0
begin() { started=${EPOCHREALTIME//[^0-9]/}; }
end() {
  local elapsed=$((${EPOCHREALTIME//[^0-9]/} - started))
  printf 'time %s %d.%06d\n' "$1" $((elapsed / 1000000)) $((elapsed % 1000000)) >&3
}

# Step 3's aliases (aliases are not expanded in scripts): one kubectl per call.
oc-west() { KUBECONFIG=$KUBECONFIG_WEST kubectl ${KUBECTL_V:+-v=$KUBECTL_V} "$@"; }
oc-east() { KUBECONFIG=$KUBECONFIG_EAST kubectl ${KUBECTL_V:+-v=$KUBECTL_V} "$@"; }

# UNTIMED: what the OSSM operator does on OpenShift when a ServiceMeshControlPlane appears.
operator_stand_in() {
  KUBECONFIG=$KUBECONFIG_WEST kubectl -n istio-system create serviceaccount istio-reader-service-account
  KUBECONFIG=$KUBECONFIG_EAST kubectl -n istio-system create serviceaccount istio-reader-service-account
}

if [[ -n "${CACERTS_FROM:-}" ]]; then
  cp -r "$CACERTS_FROM" cacerts
  root_ca_dir=cacerts/root
else
# Step 4. Create root CA certificates:
begin
root_ca_dir=cacerts/root
mkdir -p $root_ca_dir

openssl genrsa -out ${root_ca_dir}/root-key.pem 4096
cat <<EOF > ${root_ca_dir}/root-ca.conf
[ req ]
encrypt_key = no
prompt = no
utf8 = yes
default_md = sha256
default_bits = 4096
req_extensions = req_ext
x509_extensions = req_ext
distinguished_name = req_dn
[ req_ext ]
subjectKeyIdentifier = hash
basicConstraints = critical, CA:true
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment, keyCertSign
[ req_dn ]
O = Istio
CN = Root CA
EOF

openssl req -sha256 -new -key ${root_ca_dir}/root-key.pem \
  -config ${root_ca_dir}/root-ca.conf \
  -out ${root_ca_dir}/root-cert.csr

openssl x509 -req -sha256 -days 3650 \
  -signkey ${root_ca_dir}/root-key.pem \
  -extensions req_ext -extfile ${root_ca_dir}/root-ca.conf \
  -in ${root_ca_dir}/root-cert.csr \
  -out ${root_ca_dir}/root-cert.pem
end step4

# Step 5. Create intermediate CA certificates:
begin
for cluster in west east; do
  int_ca_dir=cacerts/${cluster}
  mkdir $int_ca_dir

  openssl genrsa -out ${int_ca_dir}/ca-key.pem 4096
  cat <<EOF > ${int_ca_dir}/intermediate.conf
[ req ]
encrypt_key = no
prompt = no
utf8 = yes
default_md = sha256
default_bits = 4096
req_extensions = req_ext
x509_extensions = req_ext
distinguished_name = req_dn
[ req_ext ]
subjectKeyIdentifier = hash
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment, keyCertSign
subjectAltName=@san
[ san ]
DNS.1 = istiod.istio-system.svc
[ req_dn ]
O = Istio
CN = Intermediate CA
L = $cluster
EOF

  openssl req -new -config ${int_ca_dir}/intermediate.conf \
    -key ${int_ca_dir}/ca-key.pem \
    -out ${int_ca_dir}/cluster-ca.csr

  openssl x509 -req -sha256 -days 3650 \
    -CA ${root_ca_dir}/root-cert.pem \
    -CAkey ${root_ca_dir}/root-key.pem -CAcreateserial \
    -extensions req_ext -extfile ${int_ca_dir}/intermediate.conf \
    -in ${int_ca_dir}/cluster-ca.csr \
    -out ${int_ca_dir}/ca-cert.pem

  cat ${int_ca_dir}/ca-cert.pem ${root_ca_dir}/root-cert.pem \
    > ${int_ca_dir}/cert-chain.pem
  cp ${root_ca_dir}/root-cert.pem ${int_ca_dir}
done
end step5
fi

# Step 6. Create cacerts secrets to be used by the Istio control plane:
begin
oc-west create namespace istio-system
oc-west label namespace istio-system topology.istio.io/network=west-network
oc-west create secret generic cacerts -n istio-system \
  --from-file=cacerts/west/ca-cert.pem \
  --from-file=cacerts/west/ca-key.pem \
  --from-file=cacerts/west/root-cert.pem \
  --from-file=cacerts/west/cert-chain.pem

oc-east create namespace istio-system
oc-east label namespace istio-system topology.istio.io/network=east-network
oc-east create secret generic cacerts -n istio-system \
  --from-file=cacerts/east/ca-cert.pem \
  --from-file=cacerts/east/ca-key.pem \
  --from-file=cacerts/east/root-cert.pem \
  --from-file=cacerts/east/cert-chain.pem
end step6

# Step 7. Deploy service mesh control planes:
begin
for cluster in west east; do
  mkdir ${cluster}-config
  cat <<EOF > ${cluster}-config/smcp.yaml
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata:
  name: basic
spec:
  addons:
    kiali:
      enabled: false
  cluster:
    name: ${cluster}-cluster
    network: ${cluster}-network
    multiCluster:
      enabled: true
      meshNetworks:
        remote-network:
          endpoints:
          - fromRegistry: remote-cluster
          gateways:
          - address: remote-gateway
            port: 15443
  general:
    logging:
      componentLevels:
        default: info
  mode: ClusterWide
  meshConfig:
    discoverySelectors:
    - matchLabels:
        istio-injection: enabled
  proxy:
    accessLogging:
      file:
        name: /dev/stdout
  security:
    dataPlane:
      mtls: true
    identity:
      type: ThirdParty
    manageNetworkPolicy: false
  techPreview:
    global:
      meshID: bookinfo-mesh
  tracing:
    type: None
EOF
done

oc-west apply -n istio-system -f west-config/smcp.yaml
oc-east apply -n istio-system -f east-config/smcp.yaml
end step7

operator_stand_in

# Step 8. Deploy east-west gateways with TLS mode AUTO_PASSTHROUGH to enable cross-cluster communication:
begin
for cluster in west east; do
  cat <<EOF > ${cluster}-config/eastwest-gateway.yaml
apiVersion: v1
kind: Service
metadata:
  name: istio-eastwestgateway
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: nlb
  labels:
    istio: eastwestgateway
    app: istio-eastwestgateway
    topology.istio.io/network: ${cluster}-network
spec:
  type: LoadBalancer
  selector:
    istio: eastwestgateway
  ports:
  - name: status-port
    port: 15021
    targetPort: 15021
  - name: tls
    port: 15443
    targetPort: 15443
  - name: tls-istiod
    port: 15012
    targetPort: 15012
  - name: tls-webhook
    port: 15017
    targetPort: 15017
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istio-eastwestgateway
  labels:
    istio: eastwestgateway
    app: istio-eastwestgateway
spec:
  selector:
    matchLabels:
      istio: eastwestgateway
  template:
    metadata:
      annotations:
        inject.istio.io/templates: gateway
      labels:
        istio: eastwestgateway
        sidecar.istio.io/inject: "true"
    spec:
      containers:
      - name: istio-proxy
        image: auto
        env:
        - name: ISTIO_META_REQUESTED_NETWORK_VIEW
          value: ${cluster}-network
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: istio-eastwestgateway
spec:
  selector:
    istio: eastwestgateway
  servers:
  - port:
      number: 15443
      name: tls
      protocol: TLS
    hosts:
    - "*.local"
    tls:
      mode: AUTO_PASSTHROUGH
EOF
done

oc-west apply -n istio-system -f west-config/eastwest-gateway.yaml
oc-east apply -n istio-system -f east-config/eastwest-gateway.yaml
end step8

# Step 9. Generate kubeconfig files for remote clusters:
begin
mkdir kubeconfigs

server=$(grep "server:" $KUBECONFIG_WEST | awk 'NR==1 { print $2 }')
ca=$(grep "certificate-authority-data:" $KUBECONFIG_WEST | awk 'NR==1 { print $2 }')
token=$(oc-west -n istio-system create token istio-reader-service-account)

cat <<EOF > kubeconfigs/istio-reader-service-account-west-cluster.kubeconfig
apiVersion: v1
kind: Config
clusters:
- name: west-cluster
  cluster:
    certificate-authority-data: ${ca}
    server: ${server}
contexts:
- name: istio-reader-service-account@west-cluster
  context:
    cluster: west-cluster
    namespace: istio-system
    user: istio-reader-service-account
users:
- name: istio-reader-service-account
  user:
    token: ${token}
current-context: istio-reader-service-account@west-cluster
EOF

server=$(grep "server:" $KUBECONFIG_EAST | awk 'NR==1 { print $2 }')
ca=$(grep "certificate-authority-data:" $KUBECONFIG_EAST | awk 'NR==1 { print $2 }')
token=$(oc-east -n istio-system create token istio-reader-service-account)

cat <<EOF > kubeconfigs/istio-reader-service-account-east-cluster.kubeconfig
apiVersion: v1
kind: Config
clusters:
- name: east-cluster
  cluster:
    certificate-authority-data: ${ca}
    server: ${server}
contexts:
- name: istio-reader-service-account@east-cluster
  context:
    cluster: east-cluster
    namespace: istio-system
    user: istio-reader-service-account
users:
- name: istio-reader-service-account
  user:
    token: ${token}
current-context: istio-reader-service-account@east-cluster
EOF
end step9

# Step 10. Create remote secrets from generated kubeconfigs.
begin
oc-west create secret generic istio-remote-secret-east-cluster \
  -n istio-system \
  --from-file=east-cluster=kubeconfigs/istio-reader-service-account-east-cluster.kubeconfig \
  --type=string
oc-west annotate secret istio-remote-secret-east-cluster -n istio-system \
  networking.istio.io/cluster='east-cluster'
oc-west label secret istio-remote-secret-east-cluster -n istio-system \
  istio/multiCluster='true'

oc-east create secret generic istio-remote-secret-west-cluster \
  -n istio-system \
  --from-file=west-cluster=kubeconfigs/istio-reader-service-account-west-cluster.kubeconfig \
  --type=string
oc-east annotate secret istio-remote-secret-west-cluster -n istio-system \
  networking.istio.io/cluster='west-cluster'
oc-east label secret istio-remote-secret-west-cluster -n istio-system \
  istio/multiCluster='true'
end step10

# Step 12 (the second list's 1). Update mesh networks in the east cluster's control plane.
begin
west_hostname=
while [[ -z "$west_hostname" ]]; do
  if [[ $LB_WEST == hostname ]]; then
    # On AWS:
    west_hostname=$(oc-west get services istio-eastwestgateway \
      -n istio-system -o jsonpath='{.status.loadBalancer.ingress[0].hostname}')
  else
    # On GCP or Azure:
    west_hostname=$(oc-west get services istio-eastwestgateway \
      -n istio-system -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  fi
  [[ -n "$west_hostname" ]] || sleep 0.5
done
end step12-address

sed -i.tmp -e "s/remote-network/west-network/" \
  -e "s/remote-cluster/west-cluster/" \
  -e "s/remote-gateway/${west_hostname}/" east-config/smcp.yaml &&
  rm east-config/smcp.yaml.tmp
oc-east apply -n istio-system -f east-config/smcp.yaml
end step12

# Step 14 (the second list's 3). Update mesh networks in west cluster's control plane.
begin
east_hostname=
while [[ -z "$east_hostname" ]]; do
  if [[ $LB_EAST == hostname ]]; then
    # On AWS:
    east_hostname=$(oc-east get services istio-eastwestgateway \
      -n istio-system -o jsonpath='{.status.loadBalancer.ingress[0].hostname}')
  else
    # On GCP or Azure:
    east_hostname=$(oc-east get services istio-eastwestgateway \
      -n istio-system -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  fi
  [[ -n "$east_hostname" ]] || sleep 0.5
done
end step14-address

sed -i.tmp -e "s/remote-network/east-network/" \
  -e "s/remote-cluster/east-cluster/" \
  -e "s/remote-gateway/${east_hostname}/" west-config/smcp.yaml &&
  rm west-config/smcp.yaml.tmp
oc-west apply -n istio-system -f west-config/smcp.yaml
end step14
