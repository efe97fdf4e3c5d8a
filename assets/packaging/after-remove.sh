#!/bin/sh
# Removes what after-install.sh added.
set -e
rm -f /usr/lib/wirebench/wirebench-helper /usr/share/polkit-1/actions/org.wirebench.helper.policy
rmdir /usr/lib/wirebench 2>/dev/null || true
