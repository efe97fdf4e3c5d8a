#!/usr/bin/env bash
# Wirebench lab "demo" for libvirt: defines one isolated network per bridge (and
# starts it) and one domain per VM. Run it again after re-exporting: definitions are updated.
# Each VM's cloud-init seed (hostname, addresses, routes, hosts, startup commands) is built
# into $SEED_DIR (default: seeds/ next to this script) with xorriso and attached read-only.
# Then:  virsh start wb-de3a0c1e-a  and  virsh console wb-de3a0c1e-a
# Needs libvirt-clients (virsh) and a libvirt daemon with QEMU (libvirt-daemon-system,
# qemu-system-x86). Tiny guests boot from $WIREBENCH_GUEST_DIR (default /var/cache/wirebench/guest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

DEFAULT_GUEST_DIR=/var/cache/wirebench/guest
GUEST_DIR=${WIREBENCH_GUEST_DIR:-$DEFAULT_GUEST_DIR}
# libvirt network name, its file, the host bridge it creates
NETWORKS=(
  'wb-de3a0c1e-lan network-lan.xml br-lan'
  'wb-de3a0c1e-wan network-wan.xml br-wan'
)
# libvirt domain name, its file
DOMAINS=(
  'wb-de3a0c1e-a domain-a.xml'
  'wb-de3a0c1e-b domain-b.xml'
  'wb-de3a0c1e-r domain-r.xml'
)
VMS=(a b r)
DEFAULT_SEED_DIR=/var/lib/wirebench/seeds/wb-de3a0c1e
SEED_DIR=${WIREBENCH_SEED_DIR:-$PWD/seeds}
NEEDS_TINY_GUEST=1

die() {
  printf 'define.sh: %s\n' "$*" >&2
  exit 1
}

command -v virsh >/dev/null 2>&1 || die "virsh is missing; install the Debian package libvirt-clients"
virsh uri >/dev/null || die "cannot reach libvirt (virsh uri failed); install libvirt-daemon-system or set LIBVIRT_DEFAULT_URI"
if ((NEEDS_TINY_GUEST)); then
  [[ $GUEST_DIR == /* && $GUEST_DIR != *[[:space:],\&\<\>\'\"]* ]] ||
    die "WIREBENCH_GUEST_DIR='$GUEST_DIR' must be an absolute path without spaces, commas or XML characters"
  [[ -r $GUEST_DIR/boot.img ]] || die "tiny guest file $GUEST_DIR/boot.img is missing; build it with Wirebench's setup or set WIREBENCH_GUEST_DIR"
fi

[[ $SEED_DIR == /* && $SEED_DIR != *[[:space:],\&\<\>\'\"]* ]] ||
  die "the seed folder '$SEED_DIR' must be an absolute path without spaces, commas or XML characters"
if ((${#VMS[@]})); then
  command -v xorriso >/dev/null 2>&1 || die "xorriso is missing (it builds the cloud-init seeds); install the Debian package xorriso"
  mkdir -p "$SEED_DIR"
  chmod 0755 "$SEED_DIR"
fi
for vm in "${VMS[@]}"; do
  tmp=$(mktemp -d)
  for file in meta-data user-data network-config; do cp "seed-$vm.$file" "$tmp/$file"; done
  xorriso -as mkisofs -quiet -output "$SEED_DIR/seed-$vm.iso" -volid cidata -joliet -rock "$tmp"/meta-data "$tmp"/user-data "$tmp"/network-config
  chmod 0644 "$SEED_DIR/seed-$vm.iso"
  rm -rf "$tmp"
done

active=$'\n'$(virsh net-list --name)$'\n'
for entry in "${NETWORKS[@]}"; do
  read -r name file bridge <<<"$entry"
  virsh net-define "$file"
  if [[ $active != *$'\n'"$name"$'\n'* ]]; then
    # libvirt would fail with a less helpful message when the bridge name is taken.
    if command -v ip >/dev/null 2>&1 && ip link show dev "$bridge" >/dev/null 2>&1; then
      die "the host already has an interface $bridge, which network $name creates; remove it or rename the bridge in the lab"
    fi
    virsh net-start "$name"
  fi
done

# Tiny guests' boot disk paths are written for /var/cache/wirebench/guest; point them at GUEST_DIR.
xml_file=$(mktemp)
trap 'rm -f "$xml_file"' EXIT
for entry in "${DOMAINS[@]}"; do
  read -r _ file <<<"$entry"
  xml=$(<"$file")
  xml=${xml//"$DEFAULT_GUEST_DIR/"/"$GUEST_DIR/"}
  printf '%s\n' "${xml//"$DEFAULT_SEED_DIR/"/"$SEED_DIR/"}" >"$xml_file"
  virsh define "$xml_file"
done
echo 'define.sh: lab defined; start a VM with: virsh start wb-de3a0c1e-a'
