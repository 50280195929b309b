package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialtone/dialtone/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
)

// The switch's media port range in the test config (harness_test.go).
const ownMediaPort = 10000

func TestAnOfferPointingAtTheSwitchsOwnMediaPortIsRefused(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} { // media.ip, and another loopback address
		res := sipp(t, sw.addr(), "-sf", scenario("uac_offer_refused.xml"), "-s", "+14155550199", "-key", "caller", "1001",
			"-key", "rtp_ip", ip, "-key", "rtp_port", strconv.Itoa(ownMediaPort+2), "-au", "1001", "-ap", "alice-secret",
			"-m", "1", "-p", strconv.Itoa(freePort(t)))
		if res.code != 0 {
			t.Fatalf("offer at %s: sipp exit %d (want the 488)\n%s", ip, res.code, res.out)
		}
	}
	for _, l := range sw.cdrs(2) {
		if l.Disposition != "refused" || l.SIPCode != 488 {
			t.Errorf("leg: %s %d %q, want refused 488", l.Disposition, l.SIPCode, l.RefuseReason)
		}
	}
}

func TestAnAnswerPointingAtTheSwitchsOwnMediaPortIsRefused(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	var invited atomic.Bool
	newSilentCallee(t, sw.trunk, ownMediaPort+4, func(netip.AddrPort) { invited.Store(true) })
	if res := sw.call(t, "1001", "alice-secret", "+14155550199", 500); res.code == 0 {
		t.Fatalf("the call was answered\n%s", res.out)
	}
	in, out := byDirection(t, sw.cdrs(2))
	if in.SIPCode != 488 {
		t.Errorf("caller's leg: %s %d, want 488", in.Disposition, in.SIPCode)
	}
	if out.Media != nil && out.Media.PacketsOut != 0 {
		t.Errorf("the relay sent %d packets to its own port", out.Media.PacketsOut)
	}
	if !invited.Load() {
		t.Error("the callee was never called")
	}
}

func TestAStrangerCannotTakeTheCallersAudio(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	// The stranger learns the relay's port for the callee from the offer
	// the callee gets (in real life: guesses it) and sends RTP there,
	// from another host, before the callee has sent anything, and on.
	stranger := newStranger(t)
	callee := newSilentCallee(t, sw.trunk, 0, func(relayPort netip.AddrPort) {
		stranger.start(relayPort)
		stranger.waitSent(5)
	})
	caller := newAnnPhone(t, freePort(t), annCallerTone)
	d := caller.call(sw, "1001", "alice-secret", "+14155550199")
	time.Sleep(2 * time.Second) // the caller talks
	caller.rtp.hush()
	annHangUp(t, d)
	time.Sleep(200 * time.Millisecond)
	stranger.stop()
	callee.rtp.close()

	if n := stranger.received.Load(); n != 0 {
		t.Errorf("the stranger got %d packets of the caller's audio", n)
	}
	if heard := packetsFrom(callee.rtp, caller.rtp.ssrc, time.Time{}); heard < 50 {
		t.Errorf("the callee got %d packets of the caller's 2 s", heard)
	}
	_, out := byDirection(t, sw.cdrs(2))
	sent := stranger.sent.Load()
	if out.Media == nil || out.Media.RefusedPackets == 0 || out.Media.RefusedPackets > sent {
		t.Fatalf("callee's leg media %+v: want the stranger's packets (%d sent) counted refused", out.Media, sent)
	}
	_, body := sw.api("GET", "/metrics", nil)
	if m := regexp.MustCompile(`dialtone_rtp_refused_total (\d+)`).FindSubmatch(body); m == nil || string(m[1]) == "0" {
		t.Errorf("metrics:\n%s", grepLines(string(body), "dialtone_rtp"))
	}
}

// newSilentCallee is a phone at the trunk that answers with SDP for its
// own RTP socket (or answerPort on 127.0.0.1 when not 0) and does not
// talk; before gets the switch's media address from the offer first.
func newSilentCallee(t *testing.T, port, answerPort int, before func(netip.AddrPort)) *annPhone {
	t.Helper()
	p := newAnnPhone(t, port, annCalleeTone)
	if answerPort == 0 {
		answerPort = p.rtp.port()
	}
	p.answerWith = func(switchLeg netip.AddrPort) ([]byte, bool) {
		if before != nil {
			before(switchLeg)
		}
		return []byte(fmt.Sprintf("v=0\r\no=callee 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", answerPort)), false
	}
	return p
}

// packetsFrom counts the packets of ssrc that m got after since.
func packetsFrom(m *annMedia, ssrc uint32, since time.Time) int {
	n := 0
	for _, r := range m.runs(time.Now()) {
		if r.ssrc == ssrc && r.last.After(since) {
			n += r.packets
		}
	}
	return n
}

// stranger sends RTP in sequence every 20 ms from 127.0.0.66, a host that
// is in no SDP and sent no SIP, and counts what it gets back.
type stranger struct {
	conn           *net.UDPConn
	sent, received atomic.Uint64
	done           chan struct{}
	once           sync.Once
	wg             sync.WaitGroup
}

func newStranger(t *testing.T) *stranger {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 66)})
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	s := &stranger{conn: conn, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		buf := make([]byte, 2048)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
			s.received.Add(1)
		}
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *stranger) start(to netip.AddrPort) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(media.PacketTime)
		defer tick.Stop()
		hdr := rtp.Header{Version: 2, SSRC: 0x5eed, SequenceNumber: 1}
		payload := make([]byte, 160)
		for {
			raw, _ := (&rtp.Packet{Header: hdr, Payload: payload}).Marshal()
			if _, err := s.conn.WriteToUDPAddrPort(raw, to); err != nil {
				return
			}
			s.sent.Add(1)
			hdr.SequenceNumber++
			hdr.Timestamp += 160
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}()
}

// waitSent waits until n packets are out.
func (s *stranger) waitSent(n uint64) {
	deadline := time.Now().Add(5 * time.Second)
	for s.sent.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *stranger) stop() {
	s.once.Do(func() {
		close(s.done)
		s.conn.Close()
	})
	s.wg.Wait()
}

func TestAPhoneBehindNATStillGetsItsAudio(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	// The trunk echoes RTP: the caller hears itself only if the switch
	// latched its leg to where it really sends from.
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1", "-mi", "127.0.0.1", "-mp", strconv.Itoa(freePort(t)), "-rtp_echo")
	phone := newAnnPhone(t, freePort(t), annCallerTone)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	from := &sip.FromHeader{Address: sip.Uri{User: "1001", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	// Its SDP gives its private address; its SIP and RTP come from 127.0.0.1.
	offer := "v=0\r\no=phone 1 1 IN IP4 192.168.77.10\r\ns=-\r\nc=IN IP4 192.168.77.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	d, err := phone.outgoing.Invite(ctx, sip.Uri{User: "+14155550199", Host: "127.0.0.1", Port: sw.sipPort},
		[]byte(offer), sip.NewHeader("Content-Type", "application/sdp"), from)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	switchLeg, err := media.Remote(d.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	phone.rtp.talk(switchLeg, media.PayloadPCMU)
	time.Sleep(2 * time.Second)
	phone.rtp.hush()
	annHangUp(t, d)
	time.Sleep(200 * time.Millisecond)
	phone.rtp.close()
	_ = trunk()
	if heard := packetsFrom(phone.rtp, phone.rtp.ssrc, time.Time{}); heard < 50 {
		t.Errorf("the phone behind NAT got %d of its ~100 echoed packets", heard)
	}
	in, _ := byDirection(t, sw.cdrs(2))
	if in.Media == nil || in.Media.RefusedPackets != 0 {
		t.Errorf("caller's leg media %+v: its own packets were refused", in.Media)
	}
}

func TestAReInvitePointingAtTheSwitchsOwnMediaPortIsRefused(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1", "-mi", "127.0.0.1", "-mp", strconv.Itoa(freePort(t)), "-rtp_echo")
	phone := newAnnPhone(t, freePort(t), annCallerTone)
	d := phone.call(sw, "1001", "alice-secret", "+14155550199")
	switchLeg, err := media.Remote(d.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	// The phone "moves" its audio onto the switch's own port for it.
	reinvite := sip.NewRequest(sip.INVITE, d.InviteResponse.Contact().Address)
	reinvite.SetBody([]byte(fmt.Sprintf("v=0\r\no=phone 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
		switchLeg.Addr(), switchLeg.Port())))
	reinvite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := d.Do(ctx, reinvite)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 488 {
		t.Errorf("re-INVITE to the switch's own port: %d %s, want 488", res.StatusCode, res.Reason)
	}
	refusedAt := time.Now()
	time.Sleep(time.Second) // the call goes on where it was
	phone.rtp.hush()
	annHangUp(t, d)
	time.Sleep(200 * time.Millisecond)
	phone.rtp.close()
	_ = trunk()
	if packetsFrom(phone.rtp, phone.rtp.ssrc, refusedAt) == 0 {
		t.Error("the phone's echo stopped after the refused re-INVITE")
	}
	in, _ := byDirection(t, sw.cdrs(2))
	if in.Disposition != "answered" {
		t.Errorf("caller's leg %s", in.Disposition)
	}
}
