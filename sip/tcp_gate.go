package sip

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// tcpLimits bound what inbound TCP connections may hold: a peer that
// opens connections and sends half a message, or nothing, must not keep
// file descriptors until the switch can accept no one.
type tcpLimits struct {
	readTimeout  time.Duration // a begun message must end this long after its first byte
	idleTimeout  time.Duration // a connection without a message for this long is closed, unless in use
	maxPerSource int           // open connections per source IP
	maxConns     int           // open connections in all
}

// tcpGate is the TCP listener handed to sipgo: it refuses connections
// over the caps before sipgo sees them and gives the others deadlines.
type tcpGate struct {
	net.Listener
	limits tcpLimits
	// inUse tells whether a registration or a dialog rides on the
	// connection from this remote host:port; such a connection is kept
	// however quiet it is.
	inUse func(remote string) bool
	watch *edgeWatch

	mu       sync.Mutex
	open     int
	bySource map[string]int
}

func newTCPGate(ln net.Listener, limits tcpLimits, inUse func(string) bool, watch *edgeWatch) *tcpGate {
	return &tcpGate{Listener: ln, limits: limits, inUse: inUse, watch: watch, bySource: map[string]int{}}
}

// Accept returns the next connection within the caps. sipgo stops serving
// TCP when Accept fails, so a failure that passes (out of file
// descriptors) is waited out here rather than returned.
func (g *tcpGate) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || !isTemporaryAcceptError(err) {
				return nil, err
			}
			g.watch.acceptError()
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		source := hostOf(c.RemoteAddr())
		if reason := g.admit(source); reason != "" {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // a reset: no FIN handshake, no TIME_WAIT left here
			}
			_ = c.Close()
			g.watch.tcpRefused(reason, source)
			continue
		}
		g.watch.metrics.TCPOpen.Inc()
		now := time.Now()
		return &gatedConn{Conn: c, gate: g, source: source, remote: c.RemoteAddr().String(), messageStart: now, lastMessage: now}, nil
	}
}

// admit counts a connection from source in, or says which cap it is over.
func (g *tcpGate) admit(source string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.open >= g.limits.maxConns:
		return tcpOverTotalCap
	case g.bySource[source] >= g.limits.maxPerSource:
		return tcpOverSourceCap
	}
	g.open++
	g.bySource[source]++
	return ""
}

func (g *tcpGate) release(source string) {
	g.mu.Lock()
	g.open--
	if g.bySource[source]--; g.bySource[source] <= 0 {
		delete(g.bySource, source)
	}
	g.mu.Unlock()
	g.watch.metrics.TCPOpen.Dec()
}

// isTemporaryAcceptError reports accept failures that pass: no file
// descriptors or buffers left for now, or a connection reset before it
// was accepted.
func isTemporaryAcceptError(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return false
}

// gatedConn is an accepted connection under the gate's deadlines. Only
// sipgo's reading goroutine calls Read, so the framing state needs no lock.
type gatedConn struct {
	net.Conn
	gate   *tcpGate
	source string // IP, for the caps
	remote string // host:port, as sipgo and the registrar name the connection

	framer       messageFramer
	messageStart time.Time // first byte of the message being received (before the first: the accept)
	lastMessage  time.Time // the last complete message (or the accept, or the last in-use check)

	closeOnce sync.Once
}

// Read reads under a deadline: the end of the read timeout while a
// message is half received or the first one has not come yet (a peer
// connects to send something), else the end of the idle timeout. At the
// idle deadline a connection in use goes on; otherwise Read ends the
// connection with io.EOF, which sipgo takes as a normal close (a timeout
// error would log an ERROR line per connection).
func (c *gatedConn) Read(p []byte) (int, error) {
	for {
		reason, deadline := tcpIdleTimeout, c.lastMessage.Add(c.gate.limits.idleTimeout)
		if c.framer.partial() || c.framer.completed == 0 {
			reason, deadline = tcpReadTimeout, c.messageStart.Add(c.gate.limits.readTimeout)
		}
		if err := c.Conn.SetReadDeadline(deadline); err != nil {
			return 0, err
		}
		n, err := c.Conn.Read(p)
		if n > 0 {
			c.follow(p[:n])
			return n, err
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		if reason == tcpIdleTimeout && c.gate.inUse(c.remote) {
			c.lastMessage = time.Now()
			continue
		}
		c.gate.watch.tcpClosed(reason, c.source)
		return 0, io.EOF // sipgo closes the connection on it
	}
}

// follow tracks message boundaries in what was read.
func (c *gatedConn) follow(p []byte) {
	wasPartial, done := c.framer.partial(), c.framer.completed
	c.framer.feed(p)
	now := time.Now()
	if c.framer.completed != done {
		c.lastMessage = now
	}
	if c.framer.partial() && (!wasPartial || c.framer.completed != done) {
		c.messageStart = now
	}
}

// Close releases the connection's place under the caps, once however
// often sipgo closes it.
func (c *gatedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.gate.release(c.source) })
	return err
}
