#!/bin/sh
# Installs the privileged helper where the polkit policy expects it, and the policy itself: the
# same paths as the wirebench .deb for lab hosts (scripts/build-deb.sh), with Electron as Node.
#   /usr/lib/wirebench/wirebench-helper              what pkexec runs (the policy's exec.path)
#   /usr/lib/wirebench/helper/wirebench-helper.mjs   the helper bundle it starts
#   /usr/lib/wirebench/assets/guest/                 the tiny guest's recipe
set -e
install -d /usr/lib/wirebench/helper /usr/lib/wirebench/assets/guest
install -m 0644 /opt/Wirebench/resources/helper/wirebench-helper.mjs /usr/lib/wirebench/helper/wirebench-helper.mjs
install -m 0755 /opt/Wirebench/resources/guest/build.sh /opt/Wirebench/resources/guest/init /usr/lib/wirebench/assets/guest/
cat > /usr/lib/wirebench/wirebench-helper <<'LAUNCHER'
#!/bin/sh
# Wirebench's privileged helper: the program pkexec runs (org.wirebench.helper's exec.path).
ELECTRON_RUN_AS_NODE=1 exec /opt/Wirebench/wirebench /usr/lib/wirebench/helper/wirebench-helper.mjs "$@"
LAUNCHER
chmod 0755 /usr/lib/wirebench/wirebench-helper
install -m 0644 /opt/Wirebench/resources/polkit/org.wirebench.helper.policy /usr/share/polkit-1/actions/org.wirebench.helper.policy 2>/dev/null || true
