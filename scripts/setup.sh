#!/usr/bin/env bash
# Idempotent setup behind `make start` and `make test`: Debian packages, npm packages, the
# tiny guest. Each step checks first and does nothing when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the app and its tests run: QEMU and its image tool, busybox and cpio for the tiny
# guest, ip/tc/tcpdump/setpriv/ethtool for labs, tshark for checking captures, Chromium for e2e tests,
# ShellCheck and libvirt-clients for checking exports, socat for exported scripts' consoles,
# xorriso for the guests' cloud-init seed images, cloud-init for checking them (`cloud-init schema`),
# dosfstools, mtools and syslinux for the tiny guest's boot disk.
packages=(qemu-system-x86 qemu-utils tcpdump ethtool busybox-static cpio iproute2 util-linux procps
  tshark chromium shellcheck libvirt-clients libxml2-utils pkexec socat tcpreplay xorriso cloud-init
  dosfstools mtools syslinux syslinux-common)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# QEMU opens TAPs through /dev/net/tun as an unprivileged user. udev gives the node mode 0666
# on Debian; machines without udev (containers, minimal VMs) leave it 0600.
if [[ -c /dev/net/tun && $(stat -c %a /dev/net/tun) != 666 ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    chmod 0666 /dev/net/tun
  else
    echo "setup: /dev/net/tun is not usable by unprivileged QEMU; run: sudo chmod 0666 /dev/net/tun" >&2
    exit 1
  fi
fi

# npm ci only when the lock file changed since the last install. The Electron binary cannot
# be downloaded on every machine; the app falls back to browser mode without it.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
# npm ci runs it as postinstall; again here for trees installed before the script existed.
node scripts/patch-wiregasm.mjs >/dev/null

bash assets/guest/build.sh
