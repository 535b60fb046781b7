#!/usr/bin/env bash
# Installs the Debian packages LLMOS and its tests use (runc, conmon, CNI, registry, tools;
# gcc and libc6-dev build the static probes of test/security; docker.io is installed for its CLI
# only: its dockerd is never started).
# Idempotent: skips apt when every binary is already present. npm start and npm test run it first.
set -euo pipefail
pkgs=(runc conmon containernetworking-plugins iptables iproute2 catatonit
      docker-registry skopeo umoci busybox-static mosquitto mosquitto-clients chromium apache2-utils zstd
      gcc libc6-dev dnsmasq-base nftables etcd-server etcd-client docker.io docker-compose
      containerd hyperfine wrk podman mmdebstrap openssl)
bins=(runc conmon /usr/lib/cni/bridge iptables ip catatonit docker-registry skopeo umoci busybox mosquitto mosquitto_pub chromium htpasswd zstd
      gcc /usr/include/stdio.h dnsmasq nft etcd etcdctl docker docker-compose containerd hyperfine wrk podman mmdebstrap openssl)
missing=0
for b in "${bins[@]}"; do
  if [[ "$b" == /* ]]; then [[ -e "$b" ]] || missing=1; else command -v "$b" >/dev/null 2>&1 || missing=1; fi
done
if [[ $missing -eq 0 ]]; then echo "host packages: all present"; exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  # Not fatal: without root LLMOS still boots (modules that need these are skipped with a reason)
  # and the tests that need them skip with a reason.
  echo "install-host-deps: not root; to get every capability run as root: apt-get install ${pkgs[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "host packages: installed ${pkgs[*]}"
