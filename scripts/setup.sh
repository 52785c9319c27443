#!/usr/bin/env bash
# Installs everything Herd needs: npm packages, and, when run as root on Debian, the Debian
# packages that herdd, the tests and the benchmarks use (etcd, nftables, iproute2, OCF resource
# agents, fence agents, Pacemaker's crm_simulate as the planner benchmark's reference). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(etcd-server etcd-client nftables iproute2 openssl procps
  resource-agents pacemaker-resource-agents fence-agents pacemaker-cli-utils)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    # Keep packages from starting services that would hold ports the tests need.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
elif ! command -v etcd >/dev/null; then
  echo "setup: etcd is not installed and this is not root: install Debian's etcd-server" >&2
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build
echo "setup: done"
