#!/usr/bin/env bash
# `make deb`: a .deb for lab hosts, built with dpkg-deb from the bundles under out/ (no Electron
# binary): the CLI with browser mode, the privileged helper at a fixed path, the polkit policy
# that names that path, the bundled labs and the tiny-guest recipe (run at first use).
#
#   bash scripts/build-deb.sh [--out DIR]     (default DIR: dist/)   prints the .deb's path
#
# Installed layout (electron-builder.yml's after-install.sh uses the same paths):
#   /usr/bin/wirebench                               the CLI (launcher: node + the CLI bundle)
#   /usr/lib/wirebench/cli/wirebench.mjs             the CLI and engine bundle
#   /usr/lib/wirebench/renderer/                     the built UI served by `wirebench serve`
#   /usr/lib/wirebench/wirebench-helper              what pkexec runs: polkit's exec.path and
#                                                    INSTALLED_HELPER_PATH (net/helper-client.ts)
#   /usr/lib/wirebench/helper/wirebench-helper.mjs   the helper bundle it starts (a root engine
#                                                    finds it next to the CLI: defaultHelperPath)
#   /usr/lib/wirebench/assets/labs/                  bundled labs (demo.lab.json, routed.lab.json)
#   /usr/lib/wirebench/assets/guest/                 the tiny guest's recipe (build.sh, init, cmdline)
#   /usr/share/polkit-1/actions/org.wirebench.helper.policy
#
# The tiny guest is not in the package (it is built from the host's own Debian packages): the
# CLI launcher runs the recipe the first time `up` or `serve` needs it.
set -euo pipefail
cd "$(dirname "$0")/.."

out=dist
while (($#)); do
  case "$1" in
    --out) out=$2; shift 2 ;;
    *) echo "build-deb.sh: unknown option '$1' (use --out DIR)" >&2; exit 2 ;;
  esac
done

# The bundles: the plain-Node ones are quick to rebuild; the UI only when it is missing.
node scripts/build-node.mjs
[[ -f out/renderer/index.html ]] || npx electron-vite build >/dev/null
for f in out/cli/wirebench.mjs out/helper/wirebench-helper.mjs out/renderer/index.html; do
  [[ -f $f ]] || { echo "build-deb.sh: $f is missing after the build" >&2; exit 1; }
done

version=$(node -p "require('./package.json').version")
lib=/usr/lib/wirebench
helper_launcher=$lib/wirebench-helper
# The policy must name exactly the program pkexec runs.
policy_path=$(sed -n 's:.*<annotate key="org.freedesktop.policykit.exec.path">\(.*\)</annotate>.*:\1:p' assets/polkit/org.wirebench.helper.policy)
if [[ $policy_path != "$helper_launcher" ]]; then
  echo "build-deb.sh: the polkit policy's exec.path is '$policy_path', the package installs the helper at '$helper_launcher'" >&2
  exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
install -d "$root/DEBIAN" "$root/usr/bin" "$root$lib/cli" "$root$lib/helper" "$root$lib/assets/labs" "$root$lib/assets/guest" \
  "$root/usr/share/polkit-1/actions" "$root/usr/share/doc/wirebench"

install -m 0644 out/cli/wirebench.mjs "$root$lib/cli/wirebench.mjs"
install -m 0644 out/helper/wirebench-helper.mjs "$root$lib/helper/wirebench-helper.mjs"
cp -r out/renderer "$root$lib/renderer"
find "$root$lib/renderer" -name '*.map' -delete
install -m 0644 assets/labs/*.lab.json "$root$lib/assets/labs/"
install -m 0755 assets/guest/build.sh "$root$lib/assets/guest/build.sh"
install -m 0755 assets/guest/init "$root$lib/assets/guest/init"
install -m 0644 assets/guest/cmdline "$root$lib/assets/guest/cmdline"
install -m 0644 assets/polkit/org.wirebench.helper.policy "$root/usr/share/polkit-1/actions/"
printf 'Wirebench %s\nLicense: GPL-2.0-or-later\n' "$version" >"$root/usr/share/doc/wirebench/copyright"

cat >"$root/usr/bin/wirebench" <<LAUNCHER
#!/bin/sh
# Wirebench's CLI, as installed by the wirebench package (scripts/build-deb.sh).
case "\${1:-}" in
  up | serve)
    # The tiny guest is built from this host's Debian packages the first time a lab needs it.
    if ! /bin/bash $lib/assets/guest/build.sh --check >/dev/null 2>&1; then
      echo "wirebench: building the tiny guest (once; $lib/assets/guest/build.sh)" >&2
      /bin/bash $lib/assets/guest/build.sh >&2 || echo "wirebench: the tiny guest could not be built; labs with tiny guests will not start" >&2
    fi
    ;;
esac
WIREBENCH_RENDERER_DIR=\${WIREBENCH_RENDERER_DIR:-$lib/renderer} exec /usr/bin/node $lib/cli/wirebench.mjs "\$@"
LAUNCHER
chmod 0755 "$root/usr/bin/wirebench"

cat >"$root$helper_launcher" <<LAUNCHER
#!/bin/sh
# Wirebench's privileged helper: the program pkexec runs (org.wirebench.helper's exec.path).
exec /usr/bin/node $lib/helper/wirebench-helper.mjs "\$@"
LAUNCHER
chmod 0755 "$root$helper_launcher"

installed_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: wirebench
Version: $version
Architecture: amd64
Maintainer: Wirebench developers <wirebench@localhost>
Installed-Size: $installed_kib
Depends: nodejs (>= 20), qemu-system-x86, tcpdump, ethtool, iproute2, util-linux, busybox-static, cpio, xorriso, dosfstools, mtools, syslinux, syslinux-common, pkexec
Section: net
Priority: optional
Homepage: https://github.com/wirebench/wirebench
Description: Lab designer for virtual networks (CLI and browser mode)
 QEMU guests on Linux bridges inside network namespaces, live NIC counters,
 packet capture and script export. This package holds the command-line tool,
 the browser UI (wirebench serve) and the privileged helper it starts through
 pkexec; the desktop app is packaged separately (electron-builder).
CONTROL

mkdir -p "$out"
deb="$out/wirebench_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >/dev/null
echo "$deb"
