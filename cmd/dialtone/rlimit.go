//go:build unix

package main

import (
	"log/slog"
	"syscall"

	"github.com/dialtone/dialtone/config"
)

// raiseOpenFiles lifts the open-files limit to its hard ceiling: every
// TCP connection, call leg socket and recording is a descriptor, and
// running out of them fails every new call. It logs the limit next to
// sip.tcp_max_conns, which must leave room for the calls, and returns it
// (0 when it cannot be read).
func raiseOpenFiles(cfg *config.Config, log *slog.Logger) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("read the open files limit", "error", err)
		return 0
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = raised.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			log.Warn("raise the open files limit", "limit", lim.Cur, "hard_limit", lim.Max, "error", err)
		} else {
			lim = raised
		}
	}
	log.Info("open files limit", "limit", lim.Cur, "tcp_max_conns", cfg.SIP.TCPMaxConns)
	if uint64(cfg.SIP.TCPMaxConns) > lim.Cur/2 {
		log.Warn("sip.tcp_max_conns is over half the open files limit: connections could starve calls of descriptors",
			"tcp_max_conns", cfg.SIP.TCPMaxConns, "limit", lim.Cur)
	}
	return lim.Cur
}
