package media

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// maxPacketSize is the read buffer of each socket: larger than any audio
// packet, so nothing is truncated.
const maxPacketSize = 4096

// Leg is one party's side of the media: a bound RTP/RTCP socket pair from
// a Pool, the address that party sends from and is sent to, its counters
// and its media timeout. A Leg does nothing until a Relay or Endpoint
// starts it; from then on the leg's reactor reads its sockets and hands
// the packets to that owner, and closing the owner closes the leg.
//
// Symmetric RTP: the remote address starts as the one SetRemote gave (from
// the SDP), and the leg latches to the address its party really sends
// from (a phone behind NAT sends from its NAT mapping, not from the
// address in its SDP), so replies go there. Latching is strict (see
// latch.go): only packets from the SDP's host or the signalling's
// (SetSignalingSource) are accepted before the leg latches, the others
// are counted Refused; a source other than the SDP address itself latches
// only after a run of in-sequence RTP packets. Once latched, packets from
// any other address are dropped and counted as Foreign, except within the
// latch window after the leg starts or after SetRemote, when an allowed
// sender may take the latch the same way. RTP and RTCP latch
// independently.
//
// All methods are safe for concurrent use.
type Leg struct {
	pool    *Pool
	pair    *pair // the sockets, the pool's between legs
	port    int
	timeout time.Duration

	rtp, rtcp path
	// socks are the leg's handles on its pair's sockets (rtp.sock and
	// rtcp.sock): Close shuts them, so a closed leg never sends again,
	// though the sockets may live on in the pool.
	socks [2]socket

	latchUntil atomic.Int64 // unix nanoseconds: a latched leg may move until then
	hold       atomic.Bool
	seen       atomic.Bool // RTP arrived since the watchdog last looked
	stats      counters

	allowed atomic.Pointer[sources] // hosts that may latch the leg

	mu         sync.Mutex // guards what follows; never taken per packet
	sdpRemote  netip.AddrPort
	signaling  netip.Addr // where the party's SIP comes from
	claimed    bool
	started    bool
	closed     bool
	armed      bool
	lastActive time.Time
	onTimeout  func()
	timedOut   chan struct{}
	fired      bool
	watches    [2]*watch // RTP and RTCP, while started
}

// path is one socket of a leg and the party's address on it.
type path struct {
	sock  *socket
	pool  *Pool // whose ports are never a remote
	peer  atomic.Pointer[remote]
	learn learner // only the leg's reactor touches it
	// lastSSRC is the SSRC of the last packet accepted, written by the
	// leg's reactor only; stale, when not nil, is the previous leg's
	// party on a reused socket (idle.go).
	lastSSRC uint32
	stale    *staleSource
}

// remote is an immutable snapshot of where a path sends to.
type remote struct {
	addr    netip.AddrPort
	sa      sockaddr // addr, ready for sendto
	latched bool     // a packet came from addr
	ok      bool     // addr can be sent to
}

func (p *path) newRemote(addr netip.AddrPort, latched bool) *remote {
	ok := addr.IsValid() && addr.Port() != 0 && !addr.Addr().IsUnspecified() &&
		(p.sock.is6 || addr.Addr().Is4()) && // a v4 socket cannot reach a v6 party
		!p.pool.isOwn(addr) // never send to the switch's own ports: a loop
	return &remote{addr: addr, sa: newSockaddr(addr, p.sock.is6), latched: latched, ok: ok}
}

// counters are the leg's statistics. The "in" group is written by the
// leg's own readers, the "out" group by whoever sends to the leg's party
// (the other leg's readers, a Player): they sit on separate cache lines.
type counters struct {
	rtpIn, rtpBytesIn, rtcpIn, rtcpBytesIn atomic.Uint64
	foreign, invalid, latches, refused     atomic.Uint64
	_                                      [64]byte
	rtpOut, rtpBytesOut, rtcpOut           atomic.Uint64
	rtcpBytesOut, undeliverable            atomic.Uint64
}

// Stats is a snapshot of a leg's counters. "In" counts what the leg's party
// sent to the switch, "Out" what the switch sent to the party; bytes are
// UDP payload bytes (whole RTP or RTCP packets).
type Stats struct {
	RTPPacketsIn, RTPBytesIn     uint64
	RTPPacketsOut, RTPBytesOut   uint64
	RTCPPacketsIn, RTCPBytesIn   uint64
	RTCPPacketsOut, RTCPBytesOut uint64
	// Foreign counts packets dropped because they came from an address
	// other than the latched one, outside the latch window.
	Foreign uint64
	// Invalid counts packets dropped because they were not RTP (or RTCP
	// on the RTCP socket).
	Invalid uint64
	// Undeliverable counts packets for this leg's party that were dropped
	// because the leg had no remote address yet or the send failed.
	Undeliverable uint64
	// Latches counts how often the leg (RTP or RTCP) latched to a source.
	Latches uint64
	// Refused counts packets dropped because their source may not latch
	// the leg: not the host of the party's SDP or signalling, one of the
	// switch's own ports, or a sender still proving itself while the leg
	// is latched to another (see latch.go).
	Refused uint64
}

func (s Stats) add(o Stats) Stats {
	s.RTPPacketsIn += o.RTPPacketsIn
	s.RTPBytesIn += o.RTPBytesIn
	s.RTPPacketsOut += o.RTPPacketsOut
	s.RTPBytesOut += o.RTPBytesOut
	s.RTCPPacketsIn += o.RTCPPacketsIn
	s.RTCPBytesIn += o.RTCPBytesIn
	s.RTCPPacketsOut += o.RTCPPacketsOut
	s.RTCPBytesOut += o.RTCPBytesOut
	s.Foreign += o.Foreign
	s.Invalid += o.Invalid
	s.Undeliverable += o.Undeliverable
	s.Latches += o.Latches
	s.Refused += o.Refused
	return s
}

// Dropped returns the number of packets dropped in either direction.
func (s Stats) Dropped() uint64 { return s.Foreign + s.Invalid + s.Undeliverable + s.Refused }

// logger is the pool's logger with the leg's port. It is built when the
// leg logs (rarely: a media timeout, a latch at debug level), not kept in
// every leg: a logger with an attribute is a copy of the handler, a few
// hundred bytes for each of the two legs of every call up.
func (l *Leg) logger() *slog.Logger { return l.pool.log.With("rtp_port", l.port) }

func newLeg(p *Pool, pr *pair) *Leg {
	l := &Leg{
		pool:    p,
		pair:    pr,
		port:    pr.port,
		timeout: p.mediaTimeout,
	}
	l.socks[0].fd, l.socks[0].is6 = pr.rtp.fd, pr.rtp.is6
	l.socks[1].fd, l.socks[1].is6 = pr.rtcp.fd, pr.rtcp.is6
	l.rtp.sock, l.rtcp.sock = &l.socks[0], &l.socks[1]
	l.rtp.pool, l.rtcp.pool = p, p
	if st := pr.idle; st != nil {
		// The pair rests again only after this leg has closed.
		l.rtp.stale, l.rtcp.stale = &st.stale[0], &st.stale[1]
	}
	return l
}

// Port returns the local RTP port (RTCP is Port()+1): the port to write
// into the SDP this leg's party receives.
func (l *Leg) Port() int { return l.port }

// Addr returns the local RTP address the leg's sockets are bound to.
func (l *Leg) Addr() netip.AddrPort {
	return netip.AddrPortFrom(l.pool.ip, uint16(l.port))
}

// SetRemote sets the address the party's SDP gives for its RTP (RTCP goes
// to the port above it) and opens the latch window, so a party that moved
// is followed. Call it with the remote from the first SDP the party sent
// and again for every re-INVITE or UPDATE. An unspecified address
// (c=0.0.0.0 hold) stops sending until the party sends again. Giving the
// same address as before keeps the current latch, so a re-INVITE that
// does not move the party does not undo NAT latching. The SDP's host may
// latch the leg from now on.
func (l *Leg) SetRemote(addr netip.AddrPort) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	l.mu.Lock()
	defer l.mu.Unlock()
	l.latchUntil.Store(time.Now().Add(l.pool.latchWindow).UnixNano())
	if addr == l.sdpRemote {
		return
	}
	l.sdpRemote = addr
	l.allowSources()
	l.rtp.peer.Store(l.rtp.newRemote(addr, false))
	rtcpAddr := netip.AddrPort{}
	if addr.Port() != 0 && addr.Port() < 65535 {
		rtcpAddr = netip.AddrPortFrom(addr.Addr(), addr.Port()+1)
	}
	l.rtcp.peer.Store(l.rtcp.newRemote(rtcpAddr, false))
}

// Remote returns where the leg sends RTP: the latched source, else the
// address SetRemote gave, else the zero AddrPort.
func (l *Leg) Remote() netip.AddrPort {
	if r := l.rtp.peer.Load(); r != nil {
		return r.addr
	}
	return netip.AddrPort{}
}

// Latched reports whether an RTP packet from the current remote address
// has arrived.
func (l *Leg) Latched() bool {
	r := l.rtp.peer.Load()
	return r != nil && r.latched
}

// SetHold marks the leg as on hold (true) or resumed (false). A leg on
// hold reports no media timeout, since its party may legitimately stop
// sending; relaying goes on regardless.
func (l *Leg) SetHold(on bool) {
	l.hold.Store(on)
	l.seen.Store(true) // the count restarts from the change
}

// OnHold reports what SetHold last set.
func (l *Leg) OnHold() bool { return l.hold.Load() }

// TimedOut returns a channel that is closed when the leg's media timeout
// is armed (Relay.Answered, Endpoint.Start) and no RTP then arrives for
// the pool's media timeout while the leg is not on hold. It is closed at
// most once and never closed by Close; a leg handed to a new owner
// (Relay.Detach, Endpoint.Detach) gets a new channel.
func (l *Leg) TimedOut() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timedOut == nil {
		// Made when asked for: a relayed call waits on the Relay's.
		l.timedOut = make(chan struct{})
	}
	return l.timedOut
}

// closedChan stands for the TimedOut channel of a leg that timed out
// before anyone asked for it.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Stats returns a snapshot of the leg's counters. It may be called at any
// time, during or after the call.
func (l *Leg) Stats() Stats {
	c := &l.stats
	return Stats{
		RTPPacketsIn:   c.rtpIn.Load(),
		RTPBytesIn:     c.rtpBytesIn.Load(),
		RTPPacketsOut:  c.rtpOut.Load(),
		RTPBytesOut:    c.rtpBytesOut.Load(),
		RTCPPacketsIn:  c.rtcpIn.Load(),
		RTCPBytesIn:    c.rtcpBytesIn.Load(),
		RTCPPacketsOut: c.rtcpOut.Load(),
		RTCPBytesOut:   c.rtcpBytesOut.Load(),
		Foreign:        c.foreign.Load(),
		Invalid:        c.invalid.Load(),
		Undeliverable:  c.undeliverable.Load(),
		Latches:        c.latches.Load(),
		Refused:        c.refused.Load(),
	}
}

// Close stops the leg's readers and media timeout, closes its sockets (or,
// WithIdlePairs, hands them back to the pool to keep) and returns its
// ports to the pool. It is idempotent. It must not be called
// from a Tap (which runs on a reader Close waits for).
func (l *Leg) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true // the watchdog forgets it
	l.takeWatches() // the pool takes the sockets from the reactor
	l.mu.Unlock()
	// No send of this leg is in flight once its handles are shut; the
	// pool then keeps the sockets for a later leg or closes them.
	l.rtp.sock.shut()
	l.rtcp.sock.shut()
	if err := l.pool.release(l); err != nil {
		return fmt.Errorf("close leg on port %d: %w", l.port, err)
	}
	return nil
}

// claim makes the caller the leg's only owner.
func (l *Leg) claim() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return fmt.Errorf("leg on port %d: %w", l.port, ErrClosed)
	case l.claimed:
		return fmt.Errorf("leg on port %d: %w", l.port, ErrLegInUse)
	}
	l.claimed = true
	return nil
}

// detach stops the leg's readers and media timeout without closing its
// sockets, so a new Relay or Endpoint can claim it. Packets that arrive
// meanwhile wait in the socket's buffer.
func (l *Leg) detach() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return fmt.Errorf("detach leg on port %d: %w", l.port, ErrClosed)
	}
	watches := l.takeWatches()
	l.mu.Unlock()
	l.unwatch(watches)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.claimed, l.started, l.armed = false, false, false
	l.onTimeout = nil
	if l.fired {
		l.fired = false
		l.timedOut = nil // a new one when asked for
	}
	return nil
}

// sink receives what a leg's readers accept.
type sink interface {
	// onRTP gets an RTP packet; pkt is nil for RTCP multiplexed on the
	// RTP socket (RFC 5761), which is passed on but not parsed.
	onRTP(raw []byte, pkt *rtp.Packet)
	onRTCP(raw []byte)
}

// start hands the leg's sockets to its reactor, whose packets go to s
// from now on; onTimeout (may be nil) runs when the media timeout fires.
func (l *Leg) start(s sink, onTimeout func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return fmt.Errorf("start leg on port %d: %w", l.port, ErrClosed)
	case l.started:
		return fmt.Errorf("start leg on port %d: %w", l.port, ErrLegInUse)
	}
	l.onTimeout = onTimeout
	l.latchUntil.Store(time.Now().Add(l.pool.latchWindow).UnixNano())
	rtpWatch := &watch{leg: l, sink: s}
	held := l.pair.cur[0]
	if err := l.pair.set(0, rtpWatch); err != nil {
		return fmt.Errorf("start leg on port %d: %w", l.port, err)
	}
	rtcpWatch := &watch{leg: l, sink: s, rtcp: true}
	if err := l.pair.set(1, rtcpWatch); err != nil {
		_ = l.pair.set(0, held) // as it was
		return fmt.Errorf("start leg on port %d: %w", l.port, err)
	}
	l.started = true
	l.watches = [2]*watch{rtpWatch, rtcpWatch}
	return nil
}

// takeWatches returns the leg's watches and forgets them. The caller holds
// l.mu and then calls unwatch without it, since the reactor may be
// handling a packet of this leg.
func (l *Leg) takeWatches() [2]*watch {
	w := l.watches
	l.watches = [2]*watch{}
	return w
}

// unwatch takes the leg's sockets from its reactor; when it returns, no
// packet of the leg is being handled or will be.
func (l *Leg) unwatch(w [2]*watch) {
	for i := range w {
		if w[i] != nil {
			l.pair.unset(i, w[i])
		}
	}
}

// readRTP reads what the RTP socket holds (the reactor saw it ready) and
// passes it on. The reactor's buffers are reused for every packet.
func (l *Leg) readRTP(r *reactor, s sink) {
	n, err := l.rtp.sock.recvMany(r.batch)
	if err != nil {
		return // empty after all, or an ICMP error report: nothing to do
	}
	for i := range n {
		raw, src := r.batch.packet(i)
		l.handleRTP(raw, src, &r.pkt, s)
	}
}

func (l *Leg) handleRTP(raw []byte, src netip.AddrPort, pkt *rtp.Packet, s sink) {
	n := len(raw)
	muxedRTCP := n >= 2 && raw[1] >= 192 && raw[1] <= 223
	if muxedRTCP {
		if !validRTCP(raw) {
			l.stats.invalid.Add(1)
			return
		}
	} else if err := pkt.Unmarshal(raw); err != nil || pkt.Version != 2 {
		l.stats.invalid.Add(1)
		return
	}
	var ssrc uint32
	if muxedRTCP {
		pkt = nil // not parsed: no sequence number to latch by
		ssrc = rtcpSSRC(raw)
	} else {
		ssrc = pkt.SSRC
	}
	if l.rtp.stale != nil && l.rtp.stale.addr == src && l.refuseStale(&l.rtp, src, ssrc) {
		return
	}
	if !l.accept(&l.rtp, src, pkt) {
		return
	}
	l.rtp.lastSSRC = ssrc
	if muxedRTCP {
		l.stats.rtcpIn.Add(1)
		l.stats.rtcpBytesIn.Add(uint64(n))
		s.onRTP(raw, nil)
		return
	}
	l.stats.rtpIn.Add(1)
	l.stats.rtpBytesIn.Add(uint64(n))
	if !l.seen.Load() {
		l.seen.Store(true)
	}
	s.onRTP(raw, pkt)
}

// readRTCP reads what the RTCP socket holds and passes it on.
func (l *Leg) readRTCP(r *reactor, s sink) {
	n, err := l.rtcp.sock.recvMany(r.batch)
	if err != nil {
		return
	}
	for i := range n {
		raw, src := r.batch.packet(i)
		if !validRTCP(raw) {
			l.stats.invalid.Add(1)
			continue
		}
		ssrc := rtcpSSRC(raw)
		if l.rtcp.stale != nil && l.rtcp.stale.addr == src && l.refuseStale(&l.rtcp, src, ssrc) {
			continue
		}
		if !l.accept(&l.rtcp, src, nil) {
			continue
		}
		l.rtcp.lastSSRC = ssrc
		l.stats.rtcpIn.Add(1)
		l.stats.rtcpBytesIn.Add(uint64(len(raw)))
		s.onRTCP(raw)
	}
}

// rtcpSSRC returns the sender SSRC of an RTCP packet (0 if it has none).
func rtcpSSRC(b []byte) uint32 {
	if len(b) < 8 {
		return 0
	}
	return uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
}

// refuseStale refuses, counted Refused, a packet of the stream the
// previous leg on a reused socket was latched to (idle.go), unless it
// comes from the address this leg's party gave in its SDP.
func (l *Leg) refuseStale(p *path, src netip.AddrPort, ssrc uint32) bool {
	if !p.stale.refuses(src, ssrc) {
		return false
	}
	if r := p.peer.Load(); r != nil && r.addr == src {
		return false
	}
	l.stats.refused.Add(1)
	return true
}

// validRTCP checks the fixed header of the first packet of a compound
// RTCP packet: version 2 and a packet type of the RTCP range.
func validRTCP(b []byte) bool {
	return len(b) >= 4 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223
}

func (l *Leg) socketName(p *path) string {
	if p == &l.rtcp {
		return "rtcp"
	}
	return "rtp"
}

// sendRTP sends raw to the party's RTP address from the leg's RTP socket.
func (l *Leg) sendRTP(raw []byte) error {
	return l.send(&l.rtp, raw, &l.stats.rtpOut, &l.stats.rtpBytesOut)
}

// sendMuxedRTCP sends RTCP that came multiplexed on an RTP socket the same
// way, counted as RTCP.
func (l *Leg) sendMuxedRTCP(raw []byte) error {
	return l.send(&l.rtp, raw, &l.stats.rtcpOut, &l.stats.rtcpBytesOut)
}

// sendRTCP sends raw to the party's RTCP address from the RTCP socket.
func (l *Leg) sendRTCP(raw []byte) error {
	return l.send(&l.rtcp, raw, &l.stats.rtcpOut, &l.stats.rtcpBytesOut)
}

// errUndeliverable is returned by send for a leg without a remote; it is
// preallocated so the hot path never allocates.
var errUndeliverable = fmt.Errorf("send: %w", ErrNoRemote)

func (l *Leg) send(p *path, raw []byte, packets, bytes *atomic.Uint64) error {
	r := p.peer.Load()
	if r == nil || !r.ok {
		l.stats.undeliverable.Add(1)
		return errUndeliverable
	}
	// Counted before the send: the party may read the packet before
	// sendto returns, and whoever sees it there must see it counted.
	packets.Add(1)
	bytes.Add(uint64(len(raw)))
	if err := p.sock.sendTo(raw, &r.sa); err != nil {
		packets.Add(^uint64(0))
		bytes.Add(^uint64(len(raw) - 1))
		l.stats.undeliverable.Add(1)
		return err
	}
	return nil
}

// armTimeout starts checking the leg's media timeout: the pool's
// watchdog looks at it every watchPeriod until the leg closes, times out
// or is detached.
func (l *Leg) armTimeout() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timeout <= 0 || l.armed || l.closed {
		return
	}
	l.armed = true
	l.lastActive = time.Now()
	l.pool.watchdog.add(l)
}

// watchPeriod is how often the watchdog looks: a quarter of the timeout,
// at most a second, so a timeout is reported at most that late.
func watchPeriod(timeout time.Duration) time.Duration {
	return min(max(timeout/4, time.Millisecond), time.Second)
}

// watch checks the leg's media timeout for the watchdog, which forgets a
// leg that closed, timed out or was detached.
func (l *Leg) watch() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed && !l.fired && l.armed {
		if !l.checkTimeout(time.Now()) {
			return
		}
		l.fire()
	}
	l.pool.watchdog.remove(l)
}

// checkTimeout reports whether the media timeout has run out at now.
// The caller holds l.mu.
func (l *Leg) checkTimeout(now time.Time) bool {
	if l.seen.Swap(false) || l.hold.Load() {
		l.lastActive = now
		return false
	}
	return now.Sub(l.lastActive) >= l.timeout
}

// fire reports the timeout once. The caller holds l.mu.
func (l *Leg) fire() {
	if l.fired {
		return
	}
	l.fired = true
	if l.timedOut == nil {
		l.timedOut = closedChan
	} else {
		close(l.timedOut)
	}
	l.logger().Info("media timeout", "after", l.timeout, "remote", l.Remote())
	if l.onTimeout != nil {
		l.onTimeout()
	}
}
