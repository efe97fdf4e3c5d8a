#!/usr/bin/env bash
# Builds the Wirebench tiny guest (Debian cloud kernel + busybox initramfs) into a cache
# folder, from Debian packages, only when it is missing or its recipe changed.
#
#   bash assets/guest/build.sh [--force] [--check] [--print-dir]
#
#   --force      rebuild even when the cache matches the recipe
#   --check      build nothing; exit 0 when the cache is up to date, 1 when a build is needed
#   --print-dir  print the cache folder and exit
#
# Output (all world-readable: QEMU runs as `nobody` when the engine runs as root):
#   vmlinuz      the kernel of the package linux-image-cloud-amd64 currently points to
#   initrd.img   busybox (from busybox-static), virtio-net, virtio-blk, virtio-balloon and isofs modules, and ./init
#   boot.img     what QEMU boots: a FAT disk with syslinux, vmlinuz, initrd.img and the kernel
#                command line (./cmdline), attached read-only. Booting a disk instead of
#                `-kernel`/`-initrd` saves ~15 MiB per VM: QEMU keeps its own copy of a `-kernel`
#                for resets and maps the initrd, while a disk's pages are the host's page cache,
#                shared by every VM (docs/platform-notes.md).
#   VERSION      one line: recipe hash (build.sh + init + cmdline), kernel and busybox package versions
#
# Folder: $WIREBENCH_GUEST_DIR, else /var/cache/wirebench/guest as root, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/wirebench/guest (electron/engine/qemu/tiny-guest.ts agrees).
#
# Reproducible: nothing is pinned by hand (the kernel version comes from the metapackage at
# build time and is recorded in VERSION), and the initramfs has fixed file order, owners and
# times, so the same packages give a byte-identical initrd.img.
set -euo pipefail
umask 022

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Load order matters: each module needs the ones before it (see docs/platform-facts.md).
# virtio_blk, cdrom (isofs needs its multisession helpers) and isofs read the cloud-init
# seed disk (ISO 9660, label cidata).
# button + evdev let busybox acpid see the ACPI power button, so QMP system_powerdown works.
# virtio_balloon reports free guest pages to QEMU, so its RSS shrinks back after boot (./init).
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net virtio_blk virtio_balloon cdrom isofs button evdev)
kernel_meta=linux-image-cloud-amd64

force=0
check=0
print_dir=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --check) check=1 ;;
    --print-dir) print_dir=1 ;;
    -h | --help)
      sed -n '2,15p' "$0"
      exit 0
      ;;
    *)
      echo "build.sh: unknown option '$arg' (use --force, --check or --print-dir)" >&2
      exit 2
      ;;
  esac
done

if [[ -n ${WIREBENCH_GUEST_DIR:-} ]]; then
  out=$WIREBENCH_GUEST_DIR
elif [[ $EUID -eq 0 ]]; then
  out=/var/cache/wirebench/guest
else
  out=${XDG_CACHE_HOME:-$HOME/.cache}/wirebench/guest
fi
if [[ $print_dir -eq 1 ]]; then
  echo "$out"
  exit 0
fi

recipe=$(cat "$here/build.sh" "$here/init" "$here/cmdline" | sha256sum | cut -c1-16)

up_to_date() {
  [[ -s $out/vmlinuz && -s $out/initrd.img && -s $out/boot.img && -s $out/VERSION ]] &&
    grep -q "^wirebench-guest recipe=$recipe " "$out/VERSION"
}

if [[ $force -eq 0 ]] && up_to_date; then
  echo "tiny guest is up to date in $out ($(cat "$out/VERSION"))"
  exit 0
fi
if [[ $check -eq 1 ]]; then
  echo "tiny guest in $out is missing or was built from another recipe; run  bash $0  to build it"
  exit 1
fi

# Tell exactly what to install instead of failing halfway through.
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need apt-get apt
need apt-cache apt
need dpkg-deb dpkg
need cpio cpio
need gzip gzip
need flock util-linux
need sha256sum coreutils
need mkfs.fat dosfstools
need mcopy mtools
need syslinux syslinux
[[ -r /usr/lib/syslinux/modules/bios/ldlinux.c32 ]] || missing+=(syslinux-common)
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ " ${missing[*]} " == *" apt "* ]]; then
    echo "build.sh: the tiny guest is built from Debian packages and needs apt-get/apt-cache (a Debian or Ubuntu host)." >&2
  fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "build.sh: missing tools; install them with:  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

mkdir -p "$out"
chmod 0755 "$out"
# Two builds at once (e.g. parallel test files) must not interleave their writes.
exec 9>"$out/.lock"
flock 9
if [[ $force -eq 0 ]] && up_to_date; then
  echo "tiny guest was built meanwhile in $out ($(cat "$out/VERSION"))"
  exit 0
fi

started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/wirebench-guest.XXXXXX")
chmod 0755 "$work" # apt's _apt user must reach the download folder
trap 'rm -rf "$work"' EXIT

resolve_kernel() {
  apt-cache depends "$kernel_meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
kernel_pkg=$(resolve_kernel)
if [[ -z $kernel_pkg ]]; then
  # An empty or stale package list (fresh container): refresh it once, only when needed.
  if [[ $EUID -ne 0 ]]; then
    echo "build.sh: apt-cache does not know $kernel_meta; run  sudo apt-get update  and try again." >&2
    exit 1
  fi
  echo "apt-cache does not know $kernel_meta; running apt-get update"
  apt-get update -qq
  kernel_pkg=$(resolve_kernel)
fi
if [[ -z $kernel_pkg ]]; then
  echo "build.sh: no package provides $kernel_meta for this system (apt-cache depends $kernel_meta names no linux-image-<version>); an amd64 Debian (12 or newer) package source is needed." >&2
  exit 1
fi

echo "downloading $kernel_pkg and busybox-static"
mkdir "$work/deb"
# apt drops to the _apt user for downloads; let it write here instead of warning.
if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$work/deb"; fi
(cd "$work/deb" && apt-get download -qq "$kernel_pkg" busybox-static) || {
  echo "build.sh: apt-get download $kernel_pkg busybox-static failed; check the network and the apt sources (apt-get update)." >&2
  exit 1
}
kernel_deb=$(find "$work/deb" -name "${kernel_pkg}_*.deb" | head -n1)
busybox_deb=$(find "$work/deb" -name 'busybox-static_*.deb' | head -n1)
dpkg-deb -x "$kernel_deb" "$work/kernel"
dpkg-deb -x "$busybox_deb" "$work/busybox"
kernel_version=$(dpkg-deb -f "$kernel_deb" Version)
busybox_version=$(dpkg-deb -f "$busybox_deb" Version)

vmlinuz=$(find "$work/kernel/boot" -name 'vmlinuz-*' | head -n1)
moddir=$(find "$work/kernel/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)
if [[ -z $vmlinuz || -z $moddir ]]; then
  echo "build.sh: $kernel_pkg has no boot/vmlinuz-* or lib/modules/<version>; the package layout changed, build.sh needs updating." >&2
  exit 1
fi

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,etc,tmp,run,root,lib/modules}
install -m 0755 "$work/busybox/bin/busybox" "$root/bin/busybox"
install -m 0755 "$here/init" "$root/init"

# Copy only the virtio-net modules; Debian may compress them (.ko.xz/.ko.zst), busybox
# insmod wants them plain.
: >"$root/lib/modules/order"
for module in "${modules[@]}"; do
  file=$(find "$moddir/kernel" \( -name "$module.ko" -o -name "$module.ko.xz" -o -name "$module.ko.zst" -o -name "$module.ko.gz" \) | head -n1)
  if [[ -z $file ]]; then
    if grep -q "/$module\.ko" "$moddir/modules.builtin" 2>/dev/null; then
      continue # built into this kernel: nothing to load
    fi
    echo "build.sh: module $module is neither in $kernel_pkg nor built in; build.sh needs updating." >&2
    exit 1
  fi
  target=$root/lib/modules/$module.ko
  case "$file" in
    *.xz)
      command -v xz >/dev/null || { echo "build.sh: modules are xz-compressed; install with:  sudo apt-get install xz-utils" >&2; exit 1; }
      xz -dc "$file" >"$target"
      ;;
    *.zst)
      command -v zstd >/dev/null || { echo "build.sh: modules are zstd-compressed; install with:  sudo apt-get install zstd" >&2; exit 1; }
      zstd -qdc "$file" >"$target"
      ;;
    *.gz) gzip -dc "$file" >"$target" ;;
    *) cp "$file" "$target" ;;
  esac
  chmod 0644 "$target"
  echo "$module" >>"$root/lib/modules/order"
done

# Fixed order, owners and times: the same inputs give the same bytes.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
  cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
  gzip -9 -n >"$work/initrd.img"

# The boot disk: FAT (fixed volume id) with syslinux in its boot sector. SeaBIOS boots it
# (bootindex=0); syslinux loads the kernel and the initramfs with ./cmdline.
printf '%s\n' 'DEFAULT wirebench' 'PROMPT 0' 'TIMEOUT 0' 'LABEL wirebench' '  KERNEL vmlinuz' '  INITRD initrd.img' \
  "  APPEND $(head -n1 "$here/cmdline")" >"$work/syslinux.cfg" # its first line; the rest explains it
cp "$vmlinuz" "$work/vmlinuz"
# FAT keeps times from 1980 on; a fixed one keeps the image the same from build to build.
touch -d '2000-01-01 00:00:00 UTC' "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg"
truncate -s 24M "$work/boot.img"
mkfs.fat -n WBGUEST -i 57b0a7ed "$work/boot.img" >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -m -i "$work/boot.img" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/
syslinux --install "$work/boot.img"

# Replace files one by one with renames, VERSION last: an interrupted build never looks done.
install -m 0644 "$vmlinuz" "$out/.vmlinuz.new"
install -m 0644 "$work/initrd.img" "$out/.initrd.img.new"
install -m 0644 "$work/boot.img" "$out/.boot.img.new"
echo "wirebench-guest recipe=$recipe kernel=${kernel_pkg}_$kernel_version busybox=$busybox_version" >"$work/VERSION"
install -m 0644 "$work/VERSION" "$out/.VERSION.new"
rm -f "$out/VERSION"
mv -f "$out/.vmlinuz.new" "$out/vmlinuz"
mv -f "$out/.initrd.img.new" "$out/initrd.img"
mv -f "$out/.boot.img.new" "$out/boot.img"
mv -f "$out/.VERSION.new" "$out/VERSION"

echo "tiny guest built in $out in $(($(date +%s) - started)) s ($(cat "$out/VERSION"); initrd $(du -k "$out/initrd.img" | cut -f1) KiB)"
