#!/bin/sh
# udhcpc event script for tests: records the lease and configures eth0 inside
# the VM's namespace only (the stock script would rewrite the host's
# /etc/resolv.conf, which network namespaces share).
case "$1" in
bound|renew)
	ip addr flush dev "$interface" 2>/dev/null
	ip addr add "$ip/${mask:-24}" dev "$interface"
	echo "$1 $ip" >>"${UDHCPC_LOG:-/dev/null}"
	;;
deconfig)
	ip addr flush dev "$interface" 2>/dev/null
	;;
esac
exit 0
