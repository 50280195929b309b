package e2e

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icholy/digest"
)

// rawSIP is a bare UDP SIP client for the attack tests: it sends exactly
// the request text it is given, from an address of its choosing (any of
// 127.0.0.0/8), and returns the final response.
type rawSIP struct {
	t    *testing.T
	sw   *switchProc
	conn *net.UDPConn
}

var rawSeq atomic.Int64

// newRawSIP opens a UDP socket on ip (a loopback address) at a free port.
func newRawSIP(t *testing.T, sw *switchProc, ip string) *rawSIP {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawSIP{t: t, sw: sw, conn: conn}
}

func (c *rawSIP) local() string { return c.conn.LocalAddr().String() }

// sipResponse is a response as text.
type sipResponse struct {
	code int
	text string
}

// header is the first value of the named header, or "".
func (r sipResponse) header(name string) string {
	for _, line := range strings.Split(r.text, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// rawRequest is a request to build; the client fills Via, Contact,
// Max-Forwards and Content-Length.
type rawRequest struct {
	method, uri, from, to, callID string
	cseq                          int
	headers                       []string
	body                          string
	branch                        string // default: a fresh one
}

func (c *rawSIP) build(r rawRequest) string {
	if r.branch == "" {
		r.branch = fmt.Sprintf("z9hG4bK-raw-%d", rawSeq.Add(1))
	}
	var b strings.Builder
	host := c.sw.addr()
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", r.method, r.uri)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n", c.local(), r.branch)
	fmt.Fprintf(&b, "From: <sip:%s@%s>;tag=t-%s\r\nTo: <sip:%s@%s>\r\n", r.from, host, r.callID, r.to, host)
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d %s\r\n", r.callID, r.cseq, r.method)
	fmt.Fprintf(&b, "Contact: <sip:%s@%s>\r\nMax-Forwards: 70\r\n", r.from, c.local())
	for _, h := range r.headers {
		b.WriteString(h + "\r\n")
	}
	if r.body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(r.body), r.body)
	return b.String()
}

// send sends the request and returns its final response; a non-2xx final
// response to an INVITE is acknowledged, as a phone would.
func (c *rawSIP) send(r rawRequest) sipResponse {
	c.t.Helper()
	msg := c.build(r)
	dst, err := net.ResolveUDPAddr("udp", c.sw.addr())
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.conn.WriteToUDP([]byte(msg), dst); err != nil {
		c.t.Fatal(err)
	}
	cseq := fmt.Sprintf("%d %s", r.cseq, r.method)
	buf := make([]byte, 65535)
	deadline := time.Now().Add(5 * time.Second)
	provisional := "nothing"
	for {
		_ = c.conn.SetReadDeadline(deadline)
		n, _, err := c.conn.ReadFromUDP(buf)
		if err != nil {
			c.t.Fatalf("no final response to %s from %s (last: %s): %v", cseq, c.local(), provisional, err)
		}
		res := sipResponse{text: string(buf[:n])}
		status, _, _ := strings.Cut(res.text, "\r\n")
		f := strings.Fields(status)
		if len(f) < 2 || f[0] != "SIP/2.0" || res.header("Call-ID") != r.callID || res.header("CSeq") != cseq {
			continue // a request from the switch, or a late retransmission
		}
		res.code, _ = strconv.Atoi(f[1])
		if res.code < 200 {
			provisional = status
			continue
		}
		if r.method == "INVITE" && res.code >= 300 {
			c.ack(msg, res)
		}
		return res
	}
}

// ack acknowledges a non-2xx final response in its INVITE's transaction.
func (c *rawSIP) ack(invite string, res sipResponse) {
	lines := strings.Split(invite, "\r\n")
	reqURI := strings.Fields(lines[0])[1]
	var hdr []string
	for _, l := range lines[1:] {
		for _, name := range []string{"Via:", "From:", "Call-ID:"} {
			if strings.HasPrefix(l, name) {
				hdr = append(hdr, l)
			}
		}
	}
	cseq, _, _ := strings.Cut(res.header("CSeq"), " ")
	msg := "ACK " + reqURI + " SIP/2.0\r\n" + strings.Join(hdr, "\r\n") + "\r\nTo: " + res.header("To") +
		"\r\nCSeq: " + cseq + " ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	dst, _ := net.ResolveUDPAddr("udp", c.sw.addr())
	_, _ = c.conn.WriteToUDP([]byte(msg), dst)
}

// register registers user with password (digest), from this client's
// address, and returns the final response.
func (c *rawSIP) register(user, password string) sipResponse {
	c.t.Helper()
	uri := "sip:" + c.sw.addr()
	req := rawRequest{method: "REGISTER", uri: uri, from: user, to: user, callID: fmt.Sprintf("raw-reg-%d", rawSeq.Add(1)), cseq: 1,
		headers: []string{"Expires: 300"}}
	res := c.send(req)
	if res.code != 401 {
		return res
	}
	req.cseq = 2
	req.headers = append(req.headers, "Authorization: "+c.answer(res.header("WWW-Authenticate"), "REGISTER", uri, user, password))
	return c.send(req)
}

// answer computes the digest credentials for a challenge.
func (c *rawSIP) answer(challenge, method, uri, user, password string) string {
	c.t.Helper()
	chal, err := digest.ParseChallenge(challenge)
	if err != nil {
		c.t.Fatalf("challenge %q: %v", challenge, err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: method, URI: uri, Username: user, Password: password, Cnonce: "raw", Count: 1})
	if err != nil {
		c.t.Fatal(err)
	}
	return cred.String()
}

// rawSDP is an offer for INVITEs the raw client sends.
const rawSDP = "v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
