package sip

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
)

// sipgoLogHandler is the handler of the logger sipgo's transport and
// transaction layers get. sipgo logs an ERROR line, with the payload, for
// every message it cannot parse: a flood of garbage datagrams would write
// hundreds of megabytes of log a minute. Those lines are counted (and
// summarized now and then by logEdgeSummaries) instead of written; the
// rest pass on to the switch's handler.
type sipgoLogHandler struct {
	next   slog.Handler
	caller string // the sipgo layer the logger is for, e.g. "Transport<UDP>"
	watch  *edgeWatch
	// udpSource is where the datagram being parsed came from: sipgo parses
	// on the goroutine that read it, right after the read.
	udpSource func() string
}

// The messages sipgo v1.7.3 logs per bad message or connection.
const (
	sipgoParseFailed     = "failed to parse"
	sipgoReadError       = "Read error"
	sipgoTxFailed        = "Server tx failed to handle request"
	sipgoStateless400Err = "Failed to send stateless 400 for malformed request"
)

// Enabled drops sipgo's debug lines, which come per message and per
// connection reference (sipgo logged at info and above before its logger
// was the switch's).
func (h *sipgoLogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo && h.next.Enabled(ctx, level)
}

func (h *sipgoLogHandler) Handle(ctx context.Context, r slog.Record) error {
	switch r.Message {
	case sipgoParseFailed:
		switch {
		case strings.Contains(h.caller, "UDP"):
			h.watch.unparsable("udp", h.udpSource())
			return nil
		case strings.Contains(h.caller, "TCP"):
			// The line does not say which connection; the connection caps
			// bound how often one source can do this.
			h.watch.unparsable("tcp", "")
			return nil
		}
	case sipgoReadError:
		if strings.Contains(h.caller, "TCP") {
			h.watch.tcpReadError()
			return nil
		}
	case sipgoTxFailed:
		h.watch.txDropped(sourceInError(r))
		return nil
	case sipgoStateless400Err:
		return nil // follows sipgoTxFailed for the same request
	}
	return h.next.Handle(ctx, r)
}

func (h *sipgoLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	for _, a := range attrs {
		if a.Key == "caller" {
			c.caller = a.Value.String()
		}
	}
	c.next = h.next.WithAttrs(attrs)
	return &c
}

func (h *sipgoLogHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

// sourceInError finds the request's source in the error sipgo's
// transaction layer logs, which prints the request as "... source=IP:port'".
func sourceInError(r slog.Record) string {
	var source string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "error" {
			return true
		}
		_, after, ok := strings.Cut(a.Value.String(), " source=")
		if !ok {
			return false
		}
		if end := strings.IndexAny(after, "' \""); end >= 0 {
			after = after[:end]
		}
		if host, _, err := net.SplitHostPort(after); err == nil {
			source = host
		}
		return false
	})
	return source
}

// sourceNotingConn is the UDP listener handed to sipgo; it remembers the
// source of the last datagram read, which is the one sipgo is parsing
// when it reports a parse error.
type sourceNotingConn struct {
	net.PacketConn
	last atomic.Value // net.Addr
}

func (c *sourceNotingConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(p)
	if addr != nil {
		c.last.Store(addr)
	}
	return n, addr, err
}

// lastSource is the IP address of the last datagram read.
func (c *sourceNotingConn) lastSource() string {
	addr, _ := c.last.Load().(net.Addr)
	if addr == nil {
		return ""
	}
	return hostOf(addr)
}

// hostOf is the IP address of a network address.
func hostOf(addr net.Addr) string {
	switch a := addr.(type) {
	case *net.UDPAddr:
		return a.IP.String()
	case *net.TCPAddr:
		return a.IP.String()
	case *udpSource:
		return a.udp.IP.String()
	}
	h, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return h
}
