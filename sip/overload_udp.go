package sip

import (
	"bytes"
	"math/rand/v2"
	"net"
	"strconv"
	"time"
)

// overloadConn is the UDP listener as sipgo reads it, with admission
// control in front of sipgo's parser and transaction layer: while
// sip.max_setup_calls calls are being set up, or when a new INVITE waited
// too long in the socket (the switch is behind), it is answered 503 with
// Retry-After right here, statelessly (RFC 3261 §8.2.6 allows a UAS under
// overload to answer without a transaction), and never reaches sipgo. A
// refusal then costs a few header scans and one sendto: no parsing, no
// transaction kept for 32 s, no goroutine, so refusing the excess does
// not eat the CPU and memory the admitted calls need. The caller's ACK
// for the 503 matches nothing and is dropped by sipgo.
type overloadConn struct {
	net.PacketConn
	sw   *Switch
	udp  *net.UDPConn // the socket, when the kernel stamps arrivals on it
	oob  []byte       // the arrival stamp's control message
	wait func(arrived time.Time) time.Duration
	sent *recentInvites // INVITEs handed to sipgo: never refuse their retransmissions
	inv  inviteHead     // the INVITE being read, reused: every INVITE is read
	// sources are the addresses handed to sipgo with the stamped reads.
	sources *udpSources
}

// newOverloadConn wraps the listener; on Linux it asks the kernel to stamp
// each datagram's arrival, which is how the switch knows it is behind.
func newOverloadConn(conn net.PacketConn, sw *Switch) *overloadConn {
	c := &overloadConn{PacketConn: conn, sw: sw, wait: time.Since, sent: newRecentInvites()}
	if uc, ok := conn.(*net.UDPConn); ok && stampArrivals(uc) {
		c.udp, c.oob, c.sources = uc, make([]byte, arrivalOOBSize), newUDPSources()
	}
	return c
}

// ReadFrom returns the next datagram sipgo should handle.
func (c *overloadConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, waited, err := c.read(p)
		if err != nil {
			return n, addr, err
		}
		if isStatelessAck(p[:n]) {
			continue // it has nothing to acknowledge: see stateless_ack.go
		}
		// Without a limit nothing is refused, so there is nothing to
		// read or remember: every INVITE goes straight on.
		if !c.sw.admission.enabled() || !bytes.HasPrefix(p[:n], []byte("INVITE ")) {
			return n, addr, nil
		}
		inv := &c.inv
		if !inv.read(p[:n]) {
			return n, addr, nil // a re-INVITE, or one sipgo should judge
		}
		now, key := time.Now(), c.sent.key(inv)
		if refuse, late := c.sw.admission.refuseBeforeParsing(waited, inv.credentials); refuse && !c.sent.has(key, now) {
			c.sw.metrics.Overload.Inc()
			if late {
				c.sw.metrics.OverLate.Inc()
			}
			_, _ = c.PacketConn.WriteTo(inv.overloadResponse(1+rand.IntN(4)), replyAddr(addr))
			continue
		}
		c.sent.add(key, now)
		return n, addr, nil
	}
}

// read reads one datagram and how long it waited in the socket (zero
// when the kernel does not say).
func (c *overloadConn) read(p []byte) (int, net.Addr, time.Duration, error) {
	if c.udp == nil {
		n, addr, err := c.PacketConn.ReadFrom(p)
		return n, addr, 0, err
	}
	n, oobn, _, ap, err := c.udp.ReadMsgUDPAddrPort(p, c.oob)
	if err != nil {
		return n, nil, 0, err
	}
	var waited time.Duration
	if at := arrivalOf(c.oob[:oobn]); !at.IsZero() {
		waited = max(0, c.wait(at))
		// Only stamped waits: a datagram the kernel did not stamp did
		// not wait zero, its wait is unknown.
		c.sw.metrics.UDPWait.Observe(waited.Seconds())
	}
	return n, c.sources.of(ap), waited, nil
}

// replyAddr is the address to write a reply to a datagram from addr.
func replyAddr(addr net.Addr) net.Addr {
	if s, ok := addr.(*udpSource); ok {
		return s.udp
	}
	return addr
}

// inviteHead is what a stateless 503 needs of a new INVITE.
type inviteHead struct {
	vias                   [][]byte
	from, to, callID, cseq []byte
	credentials            bool // Authorization or Proxy-Authorization: it answers a challenge
}

// read reads the headers of a new INVITE (no To tag) into inv, reusing
// its Via slice; false for anything else or anything it cannot read with
// certainty. What it holds points into msg.
func (inv *inviteHead) read(msg []byte) bool {
	*inv = inviteHead{vias: inv.vias[:0]}
	if !bytes.HasPrefix(msg, []byte("INVITE ")) {
		return false
	}
	// Every INVITE is read here (a retransmission must be known as one),
	// so the names are compared without allocating.
	readable := readHeaders(msg, func(name, value []byte) bool {
		switch {
		case isHeader(name, "via", "v"):
			inv.vias = append(inv.vias, value)
		case isHeader(name, "from", "f"):
			inv.from = value
		case isHeader(name, "to", "t"):
			inv.to = value
		case isHeader(name, "call-id", "i"):
			inv.callID = value
		case isHeader(name, "cseq", ""):
			inv.cseq = value
		case isHeader(name, "authorization", ""), isHeader(name, "proxy-authorization", ""):
			inv.credentials = true
		}
		return true
	})
	return readable && len(inv.vias) > 0 && inv.from != nil && inv.to != nil && inv.callID != nil && inv.cseq != nil && !hasTag(inv.to)
}

// readHeaders calls fn with the name and value of each header line of a
// datagram, in order, until fn returns false. It reports false when the
// datagram cannot be read with certainty this way (no end of headers, a
// line without a colon, a folded header), which is the parser's to judge.
func readHeaders(msg []byte, fn func(name, value []byte) (more bool)) bool {
	head, _, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		return false
	}
	_, rest, _ := bytes.Cut(head, []byte("\r\n")) // past the start line
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			return false // folded headers: leave it to the parser
		}
		if !fn(bytes.TrimSpace(name), bytes.TrimSpace(value)) {
			return true
		}
	}
	return true
}

// isHeader reports whether name is the header's full or compact name, in
// any case.
func isHeader(name []byte, full, compact string) bool {
	return bytes.EqualFold(name, []byte(full)) || compact != "" && bytes.EqualFold(name, []byte(compact))
}

// overloadResponse is the 503 with Retry-After for the INVITE.
func (inv *inviteHead) overloadResponse(retryAfter int) []byte {
	var b bytes.Buffer
	b.WriteString("SIP/2.0 503 Service Unavailable\r\n")
	for _, v := range inv.vias {
		b.WriteString("Via: ")
		b.Write(v)
		b.WriteString("\r\n")
	}
	b.WriteString("From: ")
	b.Write(inv.from)
	b.WriteString("\r\nTo: ")
	b.Write(inv.to)
	b.WriteString(";tag=")
	b.WriteString(statelessTag())
	b.WriteString("\r\nCall-ID: ")
	b.Write(inv.callID)
	b.WriteString("\r\nCSeq: ")
	b.Write(inv.cseq)
	b.WriteString("\r\nRetry-After: ")
	b.WriteString(strconv.Itoa(retryAfter))
	b.WriteString("\r\nReason: SIP;cause=503;text=\"overloaded: too many calls being set up\"\r\nContent-Length: 0\r\n\r\n")
	return b.Bytes()
}

// hasTag reports whether a To header value carries a tag parameter
// (outside its <URI>, where a ;tag would belong to the URI), in any case.
// Every INVITE read is asked, so it compares in place, without lowering
// a copy.
func hasTag(to []byte) bool {
	if i := bytes.LastIndexByte(to, '>'); i >= 0 {
		to = to[i:]
	}
	for {
		i := bytes.IndexByte(to, ';')
		if i < 0 {
			return false
		}
		to = to[i+1:]
		if len(to) >= len("tag=") && bytes.EqualFold(to[:len("tag=")], []byte("tag=")) {
			return true
		}
	}
}
