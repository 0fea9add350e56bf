#!/usr/bin/env bash
# Installs the Debian 12 packages federate needs to build, test and demo.
# Does nothing when they are all present; needs root otherwise.
set -euo pipefail
pkgs=(postgresql-15 postgresql-server-dev-15 libpq-dev libmariadb-dev
      libmariadb-dev-compat mariadb-server mariadb-client libipc-run-perl
      libdbd-pg-perl sqlsmith make gcc)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the packaged services from starting: tests start their own servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
