#!/bin/bash
# Install everything zon-lb needs to build and to run its tests, on Debian 12.
# Run as root: bash install-deps.sh
set -eu

PACKAGES=(
	# build
	build-essential autoconf automake libtool pkg-config
	clang llvm linux-libc-dev
	libc6-dev-i386 # gnu/stubs-32.h: the BPF build reaches glibc's headers (debian/control)
	libbpf-dev libxdp-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
	libconfig-dev libsystemd-dev
	# run and test
	xdp-tools bpftool iproute2 ethtool netcat-openbsd iputils-ping python3 procps
	# make bench
	iperf3 nftables gnuplot-nox
	# the systemd unit (unit directory, systemd-analyze) and the Debian package
	systemd dpkg-dev debhelper lintian fakeroot git
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root (apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${PACKAGES[@]}"
