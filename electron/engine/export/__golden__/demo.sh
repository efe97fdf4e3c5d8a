#!/usr/bin/env bash
# Wirebench lab "demo", exported as a script that rebuilds it without the app.
# Generated from the lab document: change the document and export again rather than this file.
#
# Usage, as root: up | down | status | console VM | capture VM BRIDGE [FILE] | link VM BRIDGE up|down
# Needs the Debian packages iproute2, util-linux, qemu-system-x86 and xorriso (cloud-init seeds); socat for consoles and
# for telling guests about pulled cables; tcpdump for captures.
# Set from the environment to override: BOOT_DISK (or WIREBENCH_GUEST_DIR), DISK_<VM>,
# WIREBENCH_ACCEL=auto|kvm|tcg, WIREBENCH_QEMU_USER and WIREBENCH_QEMU_GROUP (default nobody/nogroup).
set -euo pipefail

# The tiny guest's boot disk (built by Wirebench's setup).
if [[ -n ${WIREBENCH_GUEST_DIR:-} ]]; then
  GUEST_DIR=$WIREBENCH_GUEST_DIR
elif [[ $EUID -eq 0 ]]; then
  GUEST_DIR=/var/cache/wirebench/guest
else
  GUEST_DIR=${XDG_CACHE_HOME:-${HOME:-}/.cache}/wirebench/guest
fi
BOOT_DISK=${BOOT_DISK:-$GUEST_DIR/boot.img}

LAB_NAME=demo
NS=wb-de3a0c1e
VMS=(a b r)
# One line per NIC: VM, bridge, host TAP, QEMU netdev id, host bridge, cable in the document.
NICS=(
  'a lan a.lan net-lan br-lan up'
  'b lan b.lan net-lan br-lan up'
  'r lan r.lan net-lan br-lan up'
  'r wan r.wan net-wan br-wan up'
)

# Each VM's QEMU command line: exactly the one the Wirebench app runs (shared/qemu-spec.ts).
qemu_args() {
  case $1 in
    a)
      QEMU_ARGS=(
        -name 'guest=a,process=wb-a'
        -machine 'pc,memory-backend=ram0'
        "${ACCEL_ARGS[@]/#tcg/tcg,tb-size=16}"
        -cpu "${CPU}"
        -smp 1
        -m 128
        -object 'memory-backend-memfd,id=ram0,size=128M'
        -nodefaults
        -no-user-config
        -display none
        -monitor none
        -qmp "unix:${RUN_DIR}/a.qmp,server=on,wait=off"
        -chardev "socket,id=serial0,path=${RUN_DIR}/a.serial,server=on,wait=off,logfile=${RUN_DIR}/a.log,logappend=on"
        -serial chardev:serial0
        -chardev "socket,id=agent0,path=${RUN_DIR}/a.agent,server=on,wait=off"
        -serial chardev:agent0
        -drive "file=${BOOT_DISK},format=raw,if=none,id=boot0,readonly=on"
        -device 'virtio-blk-pci,drive=boot0,id=boot,addr=0x2,bootindex=0'
        -drive "file=${RUN_DIR}/a.seed.iso,format=raw,if=none,id=seed0,readonly=on"
        -device 'virtio-blk-pci,drive=seed0,id=seed,multifunction=on,addr=0x1e.0'
        -device 'virtio-balloon-pci,id=balloon,free-page-reporting=on,addr=0x1e.1'
        -netdev 'tap,id=net-lan,ifname=a.lan,script=no,downscript=no'
        -device 'virtio-net-pci,netdev=net-lan,id=nic-lan,mac=52:54:00:50:07:e8,addr=0x3,csum=off,gso=off,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off,guest_csum=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off'
        -daemonize
        -pidfile "${RUN_DIR}/a.pid"
      )
      ;;
    b)
      QEMU_ARGS=(
        -name 'guest=b,process=wb-b'
        -machine 'pc,memory-backend=ram0'
        "${ACCEL_ARGS[@]/#tcg/tcg,tb-size=16}"
        -cpu "${CPU}"
        -smp 1
        -m 128
        -object 'memory-backend-memfd,id=ram0,size=128M'
        -nodefaults
        -no-user-config
        -display none
        -monitor none
        -qmp "unix:${RUN_DIR}/b.qmp,server=on,wait=off"
        -chardev "socket,id=serial0,path=${RUN_DIR}/b.serial,server=on,wait=off,logfile=${RUN_DIR}/b.log,logappend=on"
        -serial chardev:serial0
        -chardev "socket,id=agent0,path=${RUN_DIR}/b.agent,server=on,wait=off"
        -serial chardev:agent0
        -drive "file=${BOOT_DISK},format=raw,if=none,id=boot0,readonly=on"
        -device 'virtio-blk-pci,drive=boot0,id=boot,addr=0x2,bootindex=0'
        -drive "file=${RUN_DIR}/b.seed.iso,format=raw,if=none,id=seed0,readonly=on"
        -device 'virtio-blk-pci,drive=seed0,id=seed,multifunction=on,addr=0x1e.0'
        -device 'virtio-balloon-pci,id=balloon,free-page-reporting=on,addr=0x1e.1'
        -netdev 'tap,id=net-lan,ifname=b.lan,script=no,downscript=no'
        -device 'virtio-net-pci,netdev=net-lan,id=nic-lan,mac=52:54:00:45:cc:6a,addr=0x3,csum=off,gso=off,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off,guest_csum=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off'
        -daemonize
        -pidfile "${RUN_DIR}/b.pid"
      )
      ;;
    r)
      QEMU_ARGS=(
        -name 'guest=r,process=wb-r'
        -machine 'pc,memory-backend=ram0'
        "${ACCEL_ARGS[@]/#tcg/tcg,tb-size=16}"
        -cpu "${CPU}"
        -smp 1
        -m 128
        -object 'memory-backend-memfd,id=ram0,size=128M'
        -nodefaults
        -no-user-config
        -display none
        -monitor none
        -qmp "unix:${RUN_DIR}/r.qmp,server=on,wait=off"
        -chardev "socket,id=serial0,path=${RUN_DIR}/r.serial,server=on,wait=off,logfile=${RUN_DIR}/r.log,logappend=on"
        -serial chardev:serial0
        -chardev "socket,id=agent0,path=${RUN_DIR}/r.agent,server=on,wait=off"
        -serial chardev:agent0
        -drive "file=${BOOT_DISK},format=raw,if=none,id=boot0,readonly=on"
        -device 'virtio-blk-pci,drive=boot0,id=boot,addr=0x2,bootindex=0'
        -drive "file=${RUN_DIR}/r.seed.iso,format=raw,if=none,id=seed0,readonly=on"
        -device 'virtio-blk-pci,drive=seed0,id=seed,multifunction=on,addr=0x1e.0'
        -device 'virtio-balloon-pci,id=balloon,free-page-reporting=on,addr=0x1e.1'
        -netdev 'tap,id=net-lan,ifname=r.lan,script=no,downscript=no'
        -device 'virtio-net-pci,netdev=net-lan,id=nic-lan,mac=52:54:00:17:17:9c,addr=0x3,csum=off,gso=off,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off,guest_csum=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off'
        -netdev 'tap,id=net-wan,ifname=r.wan,script=no,downscript=no'
        -device 'virtio-net-pci,netdev=net-wan,id=nic-wan,mac=52:54:00:fe:e0:f7,addr=0x4,csum=off,gso=off,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off,guest_csum=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off'
        -daemonize
        -pidfile "${RUN_DIR}/r.pid"
      )
      ;;
    *)
      warn "no VM named '$1'"
      return 1
      ;;
  esac
}

# Each VM's cloud-init seed (shared/cloud-init-seed.ts): hostname, NICs, routes, hosts, startup.
write_seed() {
  case $1 in
    a)
      cat >"$2/meta-data" <<'WIREBENCH_SEED_END'
instance-id: "wb-de3a0c1e-a-3b1026aa"
local-hostname: "a"
WIREBENCH_SEED_END
      cat >"$2/user-data" <<'WIREBENCH_SEED_END'
#cloud-config
manage_etc_hosts: false
write_files:
  - path: /etc/hosts
    permissions: "0644"
    content: |
      127.0.0.1 localhost
      ::1 localhost ip6-localhost ip6-loopback
      10.0.0.1 a.lan a
      10.0.0.2 b.lan b
      10.0.0.254 r.lan r
      10.0.1.254 r.wan
      127.0.1.1 a
  - path: /var/lib/cloud/scripts/per-boot/wirebench-startup.sh
    permissions: "0755"
    content: |
      #!/bin/sh
      # Wirebench: forwarding and startup commands of VM a, run at every boot once the network is up.
      # Output goes to the serial console; the engine reads the WIREBENCH-STARTUP-* lines.
      failed=0
      wb_run() {
        echo "wirebench-startup[$1]: $2" >/dev/console
        sh -c "$2" </dev/null >/dev/console 2>&1
        code=$?
        if [ "$code" -ne 0 ]; then
          echo "WIREBENCH-STARTUP-FAILED vm=a index=$1 exit=$code" >/dev/console
          failed=$((failed + 1))
        fi
      }
      echo "WIREBENCH-STARTUP-DONE vm=a commands=0 failed=$failed" >/dev/console
WIREBENCH_SEED_END
      cat >"$2/network-config" <<'WIREBENCH_SEED_END'
network:
  version: 2
  ethernets:
    eth0:
      match:
        macaddress: "52:54:00:50:07:e8"
      set-name: "eth0"
      addresses:
        - "10.0.0.1/24"
      routes:
        - to: "10.0.1.0/24"
          via: "10.0.0.254"
WIREBENCH_SEED_END
      ;;
    b)
      cat >"$2/meta-data" <<'WIREBENCH_SEED_END'
instance-id: "wb-de3a0c1e-b-526b89ae"
local-hostname: "b"
WIREBENCH_SEED_END
      cat >"$2/user-data" <<'WIREBENCH_SEED_END'
#cloud-config
manage_etc_hosts: false
write_files:
  - path: /etc/hosts
    permissions: "0644"
    content: |
      127.0.0.1 localhost
      ::1 localhost ip6-localhost ip6-loopback
      10.0.0.1 a.lan a
      10.0.0.2 b.lan b
      10.0.0.254 r.lan r
      10.0.1.254 r.wan
      127.0.1.1 b
  - path: /var/lib/cloud/scripts/per-boot/wirebench-startup.sh
    permissions: "0755"
    content: |
      #!/bin/sh
      # Wirebench: forwarding and startup commands of VM b, run at every boot once the network is up.
      # Output goes to the serial console; the engine reads the WIREBENCH-STARTUP-* lines.
      failed=0
      wb_run() {
        echo "wirebench-startup[$1]: $2" >/dev/console
        sh -c "$2" </dev/null >/dev/console 2>&1
        code=$?
        if [ "$code" -ne 0 ]; then
          echo "WIREBENCH-STARTUP-FAILED vm=b index=$1 exit=$code" >/dev/console
          failed=$((failed + 1))
        fi
      }
      echo "WIREBENCH-STARTUP-DONE vm=b commands=0 failed=$failed" >/dev/console
WIREBENCH_SEED_END
      cat >"$2/network-config" <<'WIREBENCH_SEED_END'
network:
  version: 2
  ethernets:
    eth0:
      match:
        macaddress: "52:54:00:45:cc:6a"
      set-name: "eth0"
      addresses:
        - "10.0.0.2/24"
      routes:
        - to: "10.0.1.0/24"
          via: "10.0.0.254"
WIREBENCH_SEED_END
      ;;
    r)
      cat >"$2/meta-data" <<'WIREBENCH_SEED_END'
instance-id: "wb-de3a0c1e-r-4038a371"
local-hostname: "r"
WIREBENCH_SEED_END
      cat >"$2/user-data" <<'WIREBENCH_SEED_END'
#cloud-config
manage_etc_hosts: false
write_files:
  - path: /etc/hosts
    permissions: "0644"
    content: |
      127.0.0.1 localhost
      ::1 localhost ip6-localhost ip6-loopback
      10.0.0.1 a.lan a
      10.0.0.2 b.lan b
      10.0.0.254 r.lan r
      10.0.1.254 r.wan
      127.0.1.1 r
  - path: /var/lib/cloud/scripts/per-boot/wirebench-startup.sh
    permissions: "0755"
    content: |
      #!/bin/sh
      # Wirebench: forwarding and startup commands of VM r, run at every boot once the network is up.
      # Output goes to the serial console; the engine reads the WIREBENCH-STARTUP-* lines.
      sysctl -w net.ipv4.ip_forward=1 >/dev/null
      sysctl -w net.ipv6.conf.all.forwarding=1 >/dev/null
      failed=0
      wb_run() {
        echo "wirebench-startup[$1]: $2" >/dev/console
        sh -c "$2" </dev/null >/dev/console 2>&1
        code=$?
        if [ "$code" -ne 0 ]; then
          echo "WIREBENCH-STARTUP-FAILED vm=r index=$1 exit=$code" >/dev/console
          failed=$((failed + 1))
        fi
      }
      echo "WIREBENCH-STARTUP-DONE vm=r commands=0 failed=$failed" >/dev/console
WIREBENCH_SEED_END
      cat >"$2/network-config" <<'WIREBENCH_SEED_END'
network:
  version: 2
  ethernets:
    eth0:
      match:
        macaddress: "52:54:00:17:17:9c"
      set-name: "eth0"
      addresses:
        - "10.0.0.254/24"
    eth1:
      match:
        macaddress: "52:54:00:fe:e0:f7"
      set-name: "eth1"
      addresses:
        - "10.0.1.254/24"
WIREBENCH_SEED_END
      ;;
    *)
      warn "no VM named '$1'"
      return 1
      ;;
  esac
}

# The seed image QEMU attaches read-only, built as the app builds it.
build_seed() {
  local dir
  dir=$(mktemp -d)
  write_seed "$1" "$dir" &&
    xorriso -as mkisofs -quiet -output "$RUN_DIR/$1.seed.iso" -volid cidata -joliet -rock "$dir"/meta-data "$dir"/user-data "$dir"/network-config &&
    chmod 0644 "$RUN_DIR/$1.seed.iso"
  local status=$?
  rm -rf -- "$dir"
  return "$status"
}

# Which accelerators QEMU gets: $1 = WIREBENCH_ACCEL (auto|kvm|tcg), $2 = what QEMU's user can
# do with /dev/kvm (missing|denied|usable). The app's rule (shared/accel-rule.ts), table for table.
accel_rule() {
  case "$1:$2" in
    auto:missing) ACCEL_ARGS=(-accel tcg) CPU=max KVM_DENIED=0 ;;
    auto:denied) ACCEL_ARGS=(-accel tcg) CPU=max KVM_DENIED=1 ;;
    auto:usable) ACCEL_ARGS=(-accel kvm -accel tcg) CPU=max KVM_DENIED=0 ;;
    kvm:missing) return 1 ;;
    kvm:denied) return 1 ;;
    kvm:usable) ACCEL_ARGS=(-accel kvm) CPU=host KVM_DENIED=0 ;;
    tcg:missing) ACCEL_ARGS=(-accel tcg) CPU=max KVM_DENIED=0 ;;
    tcg:denied) ACCEL_ARGS=(-accel tcg) CPU=max KVM_DENIED=0 ;;
    tcg:usable) ACCEL_ARGS=(-accel tcg) CPU=max KVM_DENIED=0 ;;
    *) return 1 ;;
  esac
}

# The lab's network, step by step as the app's runtime builds it (its plan, net-plan.ts), each
# step with the app's ip/tc argv (shared/net-commands.ts): namespace, bridges, then each VM's
# TAPs (pulled cables off their bridge) and impairments; skips what exists.
create_network() {
  new_netns ip netns add "$NS"
  if_new "$NS" ip -n "$NS" link set dev lo up
  new_link br-lan ip -n "$NS" link add name br-lan type bridge stp_state 0 forward_delay 0
  if_new br-lan ip -n "$NS" link set dev br-lan up
  new_link br-wan ip -n "$NS" link add name br-wan type bridge stp_state 0 forward_delay 0
  if_new br-wan ip -n "$NS" link set dev br-wan up
  new_link a.lan ip -n "$NS" tuntap add dev a.lan mode tap user "$QEMU_UID" group "$QEMU_GID"
  if_new a.lan ip -n "$NS" link set dev a.lan up
  if_new a.lan ip -n "$NS" link set dev a.lan master br-lan up
  new_link b.lan ip -n "$NS" tuntap add dev b.lan mode tap user "$QEMU_UID" group "$QEMU_GID"
  if_new b.lan ip -n "$NS" link set dev b.lan up
  if_new b.lan ip -n "$NS" link set dev b.lan master br-lan up
  new_link r.lan ip -n "$NS" tuntap add dev r.lan mode tap user "$QEMU_UID" group "$QEMU_GID"
  if_new r.lan ip -n "$NS" link set dev r.lan up
  if_new r.lan ip -n "$NS" link set dev r.lan master br-lan up
  new_link r.wan ip -n "$NS" tuntap add dev r.wan mode tap user "$QEMU_UID" group "$QEMU_GID"
  if_new r.wan ip -n "$NS" link set dev r.wan up
  if_new r.wan ip -n "$NS" link set dev r.wan master br-wan up
  set_netem r.wan tc -n "$NS" qdisc replace dev r.wan root netem delay 20ms 5ms loss 0.5%
}

# Deleting the namespace removes every bridge and TAP in it.
delete_network() {
  ip netns del "$NS"
}

# The cable between TAP $1 and host bridge $2: plugged (up) or pulled (down; the TAP also goes
# down, which status shows), with the app's argv.
cable_up() {
  ip -n "$NS" link set dev "$1" master "$2" up
}
cable_down() {
  ip -n "$NS" link set dev "$1" nomaster
  ip -n "$NS" link set dev "$1" down
}

check_images() {
  check_image 'guest boot disk' BOOT_DISK
}

# Everything below is the same in every exported lab.

PROG=${0##*/}
# Runtime files go where the app puts them: /run/wirebench/<uid>/<namespace>. As root, the
# XDG runtime folder (/run/user/0, mode 0700) is not used: QEMU runs as another user.
if [[ $EUID -eq 0 ]]; then
  RUN_ROOT=/run/wirebench/$EUID
else
  RUN_ROOT=${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/wirebench}
  RUN_ROOT=${RUN_ROOT:-/run/wirebench/$EUID}
fi
RUN_DIR=$RUN_ROOT/$NS
QEMU_USER=${WIREBENCH_QEMU_USER:-nobody}
QEMU_GROUP=${WIREBENCH_QEMU_GROUP:-nogroup}

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

usage() {
  cat <<USAGE
Usage: $0 COMMAND    (as root)
  up                        create the lab and boot every VM (again: starts what is missing)
  down                      stop every VM and remove the lab's namespace and runtime files
  status                    each VM running or stopped, each TAP's link state
  console VM                serial console of VM (socat; Ctrl-] leaves)
  capture VM BRIDGE [FILE]  pcap of VM's NIC on BRIDGE, to FILE or stdout
  link VM BRIDGE up|down    plug or pull the cable between VM and BRIDGE
VMs: ${VMS[*]}
USAGE
  exit "${1:-0}"
}

require_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (it manages the network namespace $NS); try: sudo $0 $*"
}

ns_exists() { ip netns pids "$NS" >/dev/null 2>&1; }
link_exists() { ip -n "$NS" link show dev "$1" >/dev/null 2>&1; }

# True when the TAP is on a bridge: a pulled cable is a TAP taken off its bridge.
tap_on_bridge() {
  local info
  info=$(ip -n "$NS" -o link show dev "$1" 2>/dev/null) || return 1
  [[ $info == *" master "* ]]
}

# True while process $1 exists and is not a zombie (a daemonized QEMU is not our child).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

wait_gone() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    alive "$1" || return 0
    sleep 0.1
  done
  return 1
}

# Prints the pid of VM $1's QEMU when it runs. QEMU names its process wb-<vm> (-name
# process=...), which tells a live QEMU from a recycled pid in a stale pid file.
vm_pid() {
  local pid comm name="wb-$1"
  pid=$(cat "$RUN_DIR/$1.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  if [[ $comm != "${name:0:15}" ]] || ! alive "$pid"; then return 1; fi
  printf '%s\n' "$pid"
}

check_vm() {
  local vm
  for vm in "${VMS[@]}"; do
    [[ $vm == "$1" ]] && return 0
  done
  die "no VM named '$1' in lab $LAB_NAME; VMs: ${VMS[*]}"
}

# Sets TAP, NETDEV and HOST_BRIDGE for the NIC joining VM $1 to bridge $2.
find_nic() {
  local line vm bridge all=()
  for line in "${NICS[@]}"; do
    read -r vm bridge TAP NETDEV HOST_BRIDGE _ <<<"$line"
    [[ $vm == "$1" && $bridge == "$2" ]] && return 0
    all+=("$vm-$bridge")
  done
  die "no NIC joins VM '$1' to bridge '$2'; NICs (vm-bridge): ${all[*]:-none}"
}

nc_unix() { have nc && [[ $(nc -h 2>&1) == *" -U"* ]]; }

# One QMP exchange with VM $1's QEMU: negotiate, send command $2. Fails unless QEMU answered
# both; returns 2 when neither socat nor a netcat with unix sockets is installed.
qmp() {
  local sock=$RUN_DIR/$1.qmp out
  local input='{"execute":"qmp_capabilities"}'$'\n'$2
  [[ -S $sock ]] || return 1
  # Our side stays open a moment after the commands: QEMU drops queued commands of a client
  # that has already hung up.
  if have socat; then
    out=$({ printf '%s\n' "$input"; sleep 0.5; } | socat -t 2 - "UNIX-CONNECT:$sock" 2>/dev/null) || return 1
  elif nc_unix; then
    out=$({ printf '%s\n' "$input"; sleep 0.5; } | timeout 3 nc -U "$sock" 2>/dev/null) || true
  else
    return 2
  fi
  [[ $(grep -c '"return"' <<<"$out") -ge 2 ]]
}

# Tells VM $1's QEMU that its NIC $2 (netdev id) has its cable plugged ($3 = up) or pulled,
# so the guest sees carrier change. Without a QMP client the bridge side alone still cuts
# (or restores) the traffic.
qemu_set_link() {
  local up=true rc=0
  [[ $3 == up ]] || up=false
  vm_pid "$1" >/dev/null || return 0
  qmp "$1" "{\"execute\":\"set_link\",\"arguments\":{\"name\":\"$2\",\"up\":$up}}" || rc=$?
  case $rc in
    0) ;;
    2) warn "vm $1: neither socat nor nc -U is installed (Debian package socat): the guest is not told about the cable, but traffic follows the bridge side" ;;
    *) warn "vm $1: QEMU did not confirm set_link $2 up=$up on $RUN_DIR/$1.qmp; traffic follows the bridge side" ;;
  esac
}

# Adds "what: how to fix" to the caller's `missing` list unless image $2 (a variable name)
# is an absolute path QEMU can take that the QEMU user can read (and write, for disks: $3).
check_image() {
  local label=$1 var=$2 path=${!2} access=(-r "${!2}")
  [[ -z ${3:-} ]] || access+=(-a -w "$path")
  if [[ $path != /* || $path == *[,[:space:]]* ]]; then
    missing+=("$label: $var='$path' must be an absolute path without commas or spaces (QEMU splits options on commas)")
  elif [[ ! -r $path ]]; then
    missing+=("$label: $path not found; build the Wirebench tiny guest (make setup in Wirebench's source) or set $var")
  elif [[ $EUID -eq 0 ]] && have setpriv && id -u "$QEMU_USER" >/dev/null 2>&1 \
    && ! setpriv --reuid="$QEMU_USER" --regid="$QEMU_GROUP" --clear-groups test "${access[@]}"; then
    missing+=("$label: $path is not ${3:+writable and }readable by $QEMU_USER, who runs QEMU; move it (root's home is private) or set WIREBENCH_QEMU_USER")
  fi
}

# Every prerequisite of `up`, all reported at once, before anything is created.
check_prereqs() {
  local missing=() entry
  [[ $EUID -eq 0 ]] || missing+=("root: run it as root, e.g. sudo $0 up")
  for entry in ip:iproute2 tc:iproute2 setpriv:util-linux qemu-system-x86_64:qemu-system-x86 xorriso:xorriso; do
    have "${entry%%:*}" || missing+=("command ${entry%%:*}: install the Debian package ${entry#*:}")
  done
  id -u "$QEMU_USER" >/dev/null 2>&1 || missing+=("user $QEMU_USER, who runs QEMU: create it or set WIREBENCH_QEMU_USER")
  getent group "$QEMU_GROUP" >/dev/null 2>&1 || missing+=("group $QEMU_GROUP, which runs QEMU: create it or set WIREBENCH_QEMU_GROUP")
  if [[ ! -c /dev/net/tun ]]; then
    missing+=("/dev/net/tun: load the tun module (modprobe tun)")
  elif [[ $EUID -eq 0 ]] && have setpriv && id -u "$QEMU_USER" >/dev/null 2>&1 \
    && ! setpriv --reuid="$QEMU_USER" --regid="$QEMU_GROUP" --clear-groups test -r /dev/net/tun -a -w /dev/net/tun; then
    # Debian's udev makes it 0666; machines without udev (containers, microVMs) leave 0600.
    missing+=("/dev/net/tun is not usable by $QEMU_USER, who runs QEMU: chmod 0666 /dev/net/tun (the mode udev gives it)")
  fi
  case ${WIREBENCH_ACCEL:-auto} in
    auto | tcg) ;;
    kvm) [[ -c /dev/kvm ]] || missing+=("KVM was asked for (WIREBENCH_ACCEL=kvm) but /dev/kvm is missing: load the kvm module or use WIREBENCH_ACCEL=tcg") ;;
    *) missing+=("WIREBENCH_ACCEL='$WIREBENCH_ACCEL': use auto, kvm or tcg") ;;
  esac
  check_images
  if ((${#missing[@]})); then
    printf '%s: cannot bring lab %s up; nothing was created. Missing:\n' "$PROG" "$LAB_NAME" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
  fi
  if ! have socat && ! nc_unix; then
    warn "socat is not installed (Debian package socat): consoles need it, and guests are not told about pulled cables (traffic is cut at the bridge all the same)"
  fi
}

# What QEMU's user (not root) can do with /dev/kvm, asked of the kernel as that user, then the
# rule above. auto tries KVM and lets QEMU fall back to TCG when KVM opens but does not work.
choose_accel() {
  local kvm_access=missing
  if [[ -c /dev/kvm ]]; then
    kvm_access=denied
    if setpriv --reuid="$QEMU_UID" --regid="$QEMU_GID" --clear-groups test -r /dev/kvm -a -w /dev/kvm; then kvm_access=usable; fi
  fi
  if ! accel_rule "${WIREBENCH_ACCEL:-auto}" "$kvm_access"; then
    die "WIREBENCH_ACCEL=${WIREBENCH_ACCEL:-auto} cannot be used here (/dev/kvm: $kvm_access for $QEMU_USER): use auto or tcg"
  fi
  if ((KVM_DENIED)); then
    warn "running under TCG (slow): $QEMU_USER, who runs QEMU, may not open /dev/kvm; make it usable (chmod 0666 /dev/kvm, as udev does on Debian)"
  fi
}

# The network steps that create_network and delete_network above are made of: each line runs
# one ip or tc command of the app's own plan (electron/engine/net/net-plan.ts) with the app's
# argv (shared/net-commands.ts). Running `up` again skips what exists: new_netns and new_link
# run a command that creates the namespace or link $1 unless it exists, and remember what they
# created; if_new runs a command only for what this run created, so an existing TAP keeps its
# state (`link` may have changed it).
CREATED=' '
new_netns() {
  ns_exists && return 0
  "$@"
  CREATED+="$NS "
  say "namespace $NS created"
}

new_link() {
  local name=$1
  shift
  link_exists "$name" && return 0
  "$@"
  CREATED+="$name "
}

if_new() {
  local name=$1
  shift
  [[ $CREATED == *" $name "* ]] || return 0
  "$@"
}

# Delay, loss and rate of traffic towards the guest (the TAP's egress). A kernel without
# sch_netem still gets a working lab, as in the app: `netem_fallback DEV RATE_KBIT tc ...` names
# the tbf rate limit that `set_netem DEV tc ...` (netem) falls back to, with a warning for the
# rest; without a rate there is nothing to fall back to.
FALLBACK=()
netem_fallback() { FALLBACK=("$@"); }

set_netem() {
  local dev=$1 impair
  shift
  impair=$*
  impair=${impair#* netem}
  impair=${impair# }
  if "$@" 2>/dev/null; then
    FALLBACK=()
    return
  fi
  if [[ ${FALLBACK[0]:-} == "$dev" ]] && "${FALLBACK[@]:2}"; then
    warn "no netem in this kernel (modprobe sch_netem): $dev is limited to ${FALLBACK[1]} kbit/s with tbf; the delay and loss in ($impair) are not applied"
  else
    warn "tc could not add netem ($impair) to $dev; is sch_netem missing from this kernel (modprobe sch_netem)? That link runs unimpaired"
  fi
  FALLBACK=()
}

ensure_runtime_dir() {
  install -d -m 0755 "${RUN_ROOT%/*}" "$RUN_ROOT"
  install -d -m 0750 -o "$QEMU_UID" -g "$QEMU_GID" "$RUN_DIR"
}

start_vm() {
  local vm=$1 pid line v tap netdev
  if pid=$(vm_pid "$vm"); then
    say "vm $vm: already running (pid $pid)"
    return 0
  fi
  rm -f "$RUN_DIR/$vm.qmp" "$RUN_DIR/$vm.serial" "$RUN_DIR/$vm.pid"
  build_seed "$vm" || {
    warn "vm $vm: could not build its cloud-init seed"
    return 1
  }
  qemu_args "$vm"
  if ! ip netns exec "$NS" setpriv --reuid="$QEMU_UID" --regid="$QEMU_GID" --clear-groups --inh-caps=-all \
    qemu-system-x86_64 "${QEMU_ARGS[@]}"; then
    warn "vm $vm: QEMU did not start (its message is above)"
    return 1
  fi
  say "vm $vm: started (pid $(vm_pid "$vm" || echo '?'), serial log $RUN_DIR/$vm.log)"
  # QEMU starts with every link up; pulled cables (TAPs off their bridge) are told now.
  for line in "${NICS[@]}"; do
    read -r v _ tap netdev _ <<<"$line"
    [[ $v == "$vm" ]] || continue
    tap_on_bridge "$tap" || qemu_set_link "$vm" "$netdev" down
  done
}

# All VMs boot in parallel; QEMU's -daemonize returns once the VM is set up.
start_vms() {
  local vm i=0 pids=() failed=()
  for vm in "${VMS[@]}"; do
    (
      trap - ERR
      start_vm "$vm"
    ) &
    pids+=("$!")
  done
  for vm in "${VMS[@]}"; do
    wait "${pids[i]}" || failed+=("$vm")
    i=$((i + 1))
  done
  ((${#failed[@]} == 0)) || die "QEMU did not start for: ${failed[*]}; fix what it said and run $0 up again (or $0 down to remove the lab)"
}

stop_vm() {
  local pid
  pid=$(vm_pid "$1") || return 0
  if ! { qmp "$1" '{"execute":"quit"}' && wait_gone "$pid" 5; }; then
    kill "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 5; then
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 2 || warn "vm $1: pid $pid did not end"
    fi
  fi
  say "vm $1: stopped"
}

# Whatever else runs in the namespace (captures, consoles' helpers) keeps it alive: end it.
kill_namespace_pids() {
  local pids=() pid
  mapfile -t pids < <(ip netns pids "$NS" 2>/dev/null)
  ((${#pids[@]})) || return 0
  kill "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do
    wait_gone "$pid" 3 || kill -KILL "$pid" 2>/dev/null || true
  done
}

cmd_up() {
  (($# == 0)) || usage 1
  check_prereqs
  QEMU_UID=$(id -u "$QEMU_USER")
  QEMU_GID=$(getent group "$QEMU_GROUP" | cut -d: -f3)
  choose_accel
  trap 'warn "up failed; what it created stays for inspection: run $0 down to remove it"' ERR
  create_network
  ensure_runtime_dir
  start_vms
  trap - ERR
  say "lab $LAB_NAME is up in namespace $NS (QEMU ${ACCEL_ARGS[*]} -cpu $CPU); try: $0 status"
}

cmd_down() {
  (($# == 0)) || usage 1
  require_root down
  have ip || die "command ip is missing; install the Debian package iproute2"
  local vm
  for vm in "${VMS[@]}"; do
    stop_vm "$vm" &
  done
  wait
  if ns_exists; then
    kill_namespace_pids
    delete_network
    say "namespace $NS deleted"
  fi
  rm -rf -- "$RUN_DIR"
  rmdir --ignore-fail-on-non-empty "$RUN_ROOT" "${RUN_ROOT%/*}" 2>/dev/null || true
  say "lab $LAB_NAME is down"
}

cmd_status() {
  (($# == 0)) || usage 1
  require_root status
  local vm pid line v b tap hbr info flags state where
  if have ip && ns_exists; then
    say "lab $LAB_NAME: namespace $NS exists"
  else
    say "lab $LAB_NAME: not up (no namespace $NS)"
  fi
  for vm in "${VMS[@]}"; do
    if pid=$(vm_pid "$vm"); then
      printf 'vm  %-32s running (pid %s)\n' "$vm" "$pid"
    else
      printf 'vm  %-32s stopped\n' "$vm"
    fi
  done
  for line in "${NICS[@]}"; do
    read -r v b tap _ hbr _ <<<"$line"
    if info=$(ip -n "$NS" -o link show dev "$tap" 2>/dev/null); then
      flags=${info#*<}
      flags=,${flags%%>*},
      if [[ $flags == *,UP,* ]]; then state=up; else state=down; fi
      if [[ $info == *" master $hbr "* ]]; then where="on $hbr"; else where="off the bridge (cable pulled)"; fi
      if [[ $flags == *,LOWER_UP,* ]]; then where+=", carrier"; else where+=", no carrier"; fi
      printf 'tap %-15s %-4s %s  (vm %s, bridge %s)\n' "$tap" "$state" "$where" "$v" "$b"
    else
      printf 'tap %-15s absent  (vm %s, bridge %s)\n' "$tap" "$v" "$b"
    fi
  done
}

cmd_console() {
  (($# == 1)) || usage 1
  require_root console "$1"
  check_vm "$1"
  local sock=$RUN_DIR/$1.serial
  vm_pid "$1" >/dev/null || die "VM $1 is not running; start the lab with: $0 up"
  if have socat; then
    if [[ -t 0 ]]; then
      printf '%s: console of %s; Ctrl-] leaves\n' "$PROG" "$1" >&2
      exec socat -,raw,echo=0,escape=0x1d "UNIX-CONNECT:$sock"
    fi
    exec socat - "UNIX-CONNECT:$sock"
  fi
  die "socat is not installed (Debian package socat). Without it, 'nc -U $sock' (netcat-openbsd) connects too, and the console log is $RUN_DIR/$1.log"
}

cmd_capture() {
  (($# == 2 || $# == 3)) || usage 1
  require_root capture "$@"
  check_vm "$1"
  find_nic "$1" "$2"
  have tcpdump || die "tcpdump is not installed; install the Debian package tcpdump"
  if ! ns_exists || ! link_exists "$TAP"; then
    die "vm $1 has no TAP on bridge $2 (not booted?). Start the lab first: $0 up"
  fi
  # tcpdump writes to stdout, which this shell opens: as root, unlike tcpdump after it drops
  # its privileges. --immediate-mode: without it libpcap hands packets over up to a second
  # late, which a live viewer shows as lag and Ctrl-C loses.
  if (($# == 3)); then
    say "capturing $TAP (vm $1, bridge $2) into $3; Ctrl-C stops" >&2
    exec ip netns exec "$NS" tcpdump -U --immediate-mode -i "$TAP" -w - >"$3"
  fi
  [[ ! -t 1 ]] || die "pcap is binary: redirect it (e.g. | wireshark -k -i -) or give a file: $0 capture $1 $2 FILE"
  exec ip netns exec "$NS" tcpdump -U --immediate-mode -i "$TAP" -w -
}

cmd_link() {
  (($# == 3)) || usage 1
  require_root link "$@"
  check_vm "$1"
  find_nic "$1" "$2"
  [[ $3 == up || $3 == down ]] || die "link state must be up or down, not '$3'"
  if ! ns_exists || ! link_exists "$TAP"; then
    die "vm $1 has no TAP on bridge $2 (lab not up?). Start the lab first: $0 up"
  fi
  if [[ $3 == down ]]; then
    cable_down "$TAP"
  else
    cable_up "$TAP" "$HOST_BRIDGE"
  fi
  qemu_set_link "$1" "$NETDEV" "$3"
  say "cable $1-$2: $3"
}

main() {
  local cmd=${1:-}
  (($# == 0)) || shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    console) cmd_console "$@" ;;
    capture) cmd_capture "$@" ;;
    link) cmd_link "$@" ;;
    -h | --help | help) usage 0 ;;
    *) usage 1 ;;
  esac
}

set -E
main "$@"
