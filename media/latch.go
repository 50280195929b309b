package media

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// Strict latching. A leg's RTP port is written in the SDP the party gets,
// and anyone who learns or guesses it can send there. Were the leg to
// latch to the first sender, one packet from a stranger before the
// party's first would take the other party's audio. So, like Asterisk's
// strictrtp:
//
//   - before the leg latches, only packets from the host of the party's
//     SDP address or of its signalling (a phone behind NAT writes its
//     private address in its SDP but sends from the public address its SIP
//     comes from) pass; the others are counted Refused;
//   - a packet from the SDP address itself latches at once (latching there
//     changes nowhere the leg sends); any other allowed source latches only
//     after latchRun RTP packets in a row from it with consecutive
//     sequence numbers and one SSRC. Until then its packets pass while
//     the leg is not latched, and are refused while another source holds
//     the latch (within the latch window);
//   - RTCP has no sequence numbers: an allowed host latches the RTCP
//     socket with its first packet;
//   - the switch's own ports never latch a leg (a relay loop).
//
// The hot path (a packet from the latched address) is unchanged: one
// atomic load and a comparison.

// latchRun is how many in-sequence RTP packets a source other than the SDP
// address must send before the leg latches to it: 60 ms of audio at 20 ms
// a packet.
const latchRun = 4

// sources are the hosts that may latch a leg: its SDP's and its
// signalling's. Immutable; replaced whole.
type sources [2]netip.Addr

func (s *sources) allow(a netip.Addr) bool {
	return s != nil && a.IsValid() && (s[0] == a || s[1] == a)
}

// SetSignalingSource gives the address the party's SIP messages come from
// (the INVITE's or the answer's source): packets from that host may latch
// the leg, as from the SDP's. Call it with each offer or answer the party
// sends, before or with SetRemote.
func (l *Leg) SetSignalingSource(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.signaling = ip.Unmap()
	l.allowSources()
}

// allowSources publishes the hosts that may latch the leg. An SDP hold
// address (c=0.0.0.0) keeps the host of the SDP before it: the party has
// not moved. The caller holds l.mu.
func (l *Leg) allowSources() {
	var s sources
	if a := l.sdpRemote.Addr(); a.IsValid() && !a.IsUnspecified() {
		s[0] = a
	} else if old := l.allowed.Load(); old != nil {
		s[0] = old[0]
	}
	if a := l.signaling; a.IsValid() && !a.IsUnspecified() {
		s[1] = a
	}
	l.allowed.Store(&s)
}

// accept applies latching to a packet from src on p and reports whether
// the packet may pass. pkt is the parsed RTP packet, nil for RTCP. It
// runs on the leg's reactor only.
func (l *Leg) accept(p *path, src netip.AddrPort, pkt *rtp.Packet) bool {
	cur := p.peer.Load()
	if cur != nil && cur.latched && cur.addr == src {
		return true // the hot path: no allocation, no lock
	}
	held := cur != nil && cur.latched
	if held && time.Now().UnixNano() > l.latchUntil.Load() {
		l.stats.foreign.Add(1)
		return false
	}
	if p.pool.isOwn(src) || !l.allowed.Load().allow(src.Addr()) {
		l.stats.refused.Add(1)
		return false
	}
	switch {
	case cur != nil && cur.addr == src, p == &l.rtcp:
		// The SDP address itself, or RTCP from an allowed host: latch.
	case pkt == nil:
		// RTCP multiplexed on the RTP socket proves nothing about its
		// sender: it passes unless another source holds the latch.
		if held {
			l.stats.refused.Add(1)
		}
		return !held
	case !p.learn.observe(src, pkt):
		if held {
			l.stats.refused.Add(1)
		}
		return !held
	}
	p.learn = learner{}
	l.latch(p, cur, src)
	return true
}

// latch moves p to src, unless SetRemote replaced cur meanwhile (the
// packet still passes: its source was allowed).
func (l *Leg) latch(p *path, cur *remote, src netip.AddrPort) {
	if !p.peer.CompareAndSwap(cur, p.newRemote(src, true)) {
		return
	}
	l.stats.latches.Add(1)
	if l.pool.log.Enabled(context.Background(), slog.LevelDebug) {
		l.logger().Debug("media latched", "socket", l.socketName(p), "source", src)
	}
}

// learner follows the run of in-sequence RTP packets from one source.
type learner struct {
	src  netip.AddrPort
	ssrc uint32
	seq  uint16
	run  uint16 // up to latchRun
}

// observe counts pkt from src and reports whether the run is long enough
// to latch: the same source and SSRC, each sequence number one above the
// last. Anything else starts a new run.
func (s *learner) observe(src netip.AddrPort, pkt *rtp.Packet) bool {
	if s.run > 0 && src == s.src && pkt.SSRC == s.ssrc && pkt.SequenceNumber == s.seq+1 {
		s.run = min(s.run+1, latchRun)
	} else {
		*s = learner{src: src, ssrc: pkt.SSRC, run: 1}
	}
	s.seq = pkt.SequenceNumber
	return s.run >= latchRun
}
