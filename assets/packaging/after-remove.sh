#!/bin/sh
# Removes what after-install.sh added.
set -e
rm -f /usr/lib/wirebench/wirebench-helper /usr/lib/wirebench/helper/wirebench-helper.mjs \
  /usr/lib/wirebench/assets/guest/build.sh /usr/lib/wirebench/assets/guest/init \
  /usr/share/polkit-1/actions/org.wirebench.helper.policy
rmdir /usr/lib/wirebench/helper /usr/lib/wirebench/assets/guest /usr/lib/wirebench/assets /usr/lib/wirebench 2>/dev/null || true
