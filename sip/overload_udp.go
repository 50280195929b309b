package sip

import (
	"bytes"
	"math/rand/v2"
	"net"
	"strconv"
)

// overloadConn is the UDP listener as sipgo reads it, with admission
// control in front of sipgo's parser and transaction layer: while
// sip.max_setup_calls calls are being set up, a new INVITE is answered 503
// with Retry-After right here, statelessly (RFC 3261 §8.2.6 allows a UAS
// under overload to answer without a transaction), and never reaches
// sipgo. A refusal then costs a few header scans and one sendto: no
// parsing, no transaction kept for 32 s, no goroutine, so refusing the
// excess does not eat the CPU and memory the admitted calls need. The
// caller's ACK for the 503 matches nothing and is dropped by sipgo.
type overloadConn struct {
	net.PacketConn
	sw *Switch
}

// ReadFrom returns the next datagram sipgo should handle.
func (c *overloadConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || !c.sw.admission.full() {
			return n, addr, err
		}
		res := statelessOverloadResponse(p[:n], 1+rand.IntN(4))
		if res == nil {
			return n, addr, nil // not a new INVITE, or one sipgo should judge
		}
		c.sw.metrics.Overload.Inc()
		_, _ = c.PacketConn.WriteTo(res, addr)
	}
}

// full reports whether a new call would be refused now.
func (a *admission) full() bool { return a.limit > 0 && a.inFlight.Load() >= a.limit }

// statelessOverloadResponse builds the 503 for a datagram that is a new
// INVITE (no To tag), or returns nil for anything else, including a
// request it cannot read with certainty: sipgo then handles it as usual.
func statelessOverloadResponse(msg []byte, retryAfter int) []byte {
	if !bytes.HasPrefix(msg, []byte("INVITE ")) {
		return nil
	}
	head, _, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		return nil
	}
	lines := bytes.Split(head, []byte("\r\n"))[1:]
	var vias [][]byte
	var from, to, callID, cseq []byte
	for _, line := range lines {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			return nil // folded headers: leave it to the parser
		}
		value = bytes.TrimSpace(value)
		switch string(bytes.ToLower(bytes.TrimSpace(name))) {
		case "via", "v":
			vias = append(vias, value)
		case "from", "f":
			from = value
		case "to", "t":
			to = value
		case "call-id", "i":
			callID = value
		case "cseq":
			cseq = value
		}
	}
	if len(vias) == 0 || from == nil || to == nil || callID == nil || cseq == nil || hasTag(to) {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("SIP/2.0 503 Service Unavailable\r\n")
	for _, v := range vias {
		b.WriteString("Via: ")
		b.Write(v)
		b.WriteString("\r\n")
	}
	b.WriteString("From: ")
	b.Write(from)
	b.WriteString("\r\nTo: ")
	b.Write(to)
	b.WriteString(";tag=")
	b.WriteString(strconv.FormatUint(rand.Uint64(), 36))
	b.WriteString("\r\nCall-ID: ")
	b.Write(callID)
	b.WriteString("\r\nCSeq: ")
	b.Write(cseq)
	b.WriteString("\r\nRetry-After: ")
	b.WriteString(strconv.Itoa(retryAfter))
	b.WriteString("\r\nReason: SIP;cause=503;text=\"overloaded: too many calls being set up\"\r\nContent-Length: 0\r\n\r\n")
	return b.Bytes()
}

// hasTag reports whether a To header value carries a tag parameter
// (outside its <URI>, where a ;tag would belong to the URI).
func hasTag(to []byte) bool {
	if i := bytes.LastIndexByte(to, '>'); i >= 0 {
		to = to[i:]
	}
	return bytes.Contains(bytes.ToLower(to), []byte(";tag="))
}
