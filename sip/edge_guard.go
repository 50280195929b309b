package sip

import (
	"log/slog"
	"net"
)

// guardEdge wraps the listeners handed to sipgo: the TCP listener in the
// gate (connection caps and timeouts), the UDP one so parse errors can be
// traced to their source; and it returns the logger for sipgo's transport
// and transaction layers, which counts floods instead of logging them.
func (sw *Switch) guardEdge(udp net.PacketConn, tcp net.Listener) (net.PacketConn, net.Listener, *slog.Logger) {
	udpSource := func() string { return "" }
	if udp != nil {
		noting := &sourceNotingConn{PacketConn: udp}
		udp, udpSource = noting, noting.lastSource
	}
	if tcp != nil {
		tcp = newTCPGate(tcp, sw.tcpLimits(), sw.tcpInUse, sw.edge)
	}
	return udp, tcp, slog.New(&sipgoLogHandler{next: sw.log.Handler(), watch: sw.edge, udpSource: udpSource})
}

func (sw *Switch) tcpLimits() tcpLimits {
	s := sw.cfg.SIP
	return tcpLimits{readTimeout: s.TCPReadTimeout.Duration, idleTimeout: s.TCPIdleTimeout.Duration,
		maxPerSource: s.TCPMaxPerSource, maxConns: s.TCPMaxConns}
}
