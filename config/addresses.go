package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// checkListen checks an address the switch binds: host:port with an IP, a
// host name or nothing (every interface) and a port from 0 (any) to 65535.
func checkListen(addr string) error {
	return checkHostPort(addr, true)
}

// checkDial checks an address the switch sends to (a trunk): a host and a
// port from 1 to 65535.
func checkDial(addr string) error {
	return checkHostPort(addr, false)
}

func checkHostPort(addr string, listen bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	n, err := strconv.Atoi(port)
	low := 1
	if listen {
		low = 0
	}
	if err != nil || n < low || n > 65535 || strings.HasPrefix(port, "+") {
		return fmt.Errorf("%q: port %q is not a number from %d to 65535", addr, port, low)
	}
	if host == "" {
		if listen {
			return nil
		}
		return fmt.Errorf("%q: the host is missing", addr)
	}
	if err := checkHost(host); err != nil {
		return fmt.Errorf("%q: %w", addr, err)
	}
	return nil
}

// checkHost accepts an IP address or a DNS host name. A name whose last
// label is all digits is meant as an IPv4 address (127.0.0.300).
func checkHost(host string) error {
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return fmt.Errorf("%q is not an IP address", host)
	}
	if len(host) > 253 {
		return fmt.Errorf("host name %q is longer than 253 characters", host)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || strings.Trim(strings.ToLower(l), "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return fmt.Errorf("%q is neither an IP address nor a host name", host)
		}
	}
	return nil
}
