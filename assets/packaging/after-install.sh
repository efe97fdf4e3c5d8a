#!/bin/sh
# Installs the privileged helper where the polkit policy expects it, and the policy itself.
set -e
install -d /usr/lib/wirebench
cat > /usr/lib/wirebench/wirebench-helper <<'LAUNCHER'
#!/bin/sh
ELECTRON_RUN_AS_NODE=1 exec /opt/Wirebench/wirebench /opt/Wirebench/resources/helper/wirebench-helper.mjs "$@"
LAUNCHER
chmod 0755 /usr/lib/wirebench/wirebench-helper
install -m 0644 /opt/Wirebench/resources/polkit/org.wirebench.helper.policy /usr/share/polkit-1/actions/org.wirebench.helper.policy 2>/dev/null || true
