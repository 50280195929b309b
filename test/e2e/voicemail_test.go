package e2e

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/media"
	"github.com/pion/rtp"
)

// rtpPeer is the RTP side of a phone, played by the test itself: sipp
// does the SIP (uac_rtp_peer.xml or uac_rtp_peer_info.xml with -key
// rtp_port), and the test sends audio and RFC 4733 key presses from the
// port the SDP offers and sees every packet the switch sends, when it
// arrives. Unlike sipp's play_dtmf (raw sockets), this needs no root.
type rtpPeer struct {
	t    *testing.T
	conn *net.UDPConn
	port int

	sendMu sync.Mutex
	ssrc   uint32
	seq    uint16
	ts     uint32

	mu   sync.Mutex
	to   *net.UDPAddr // the switch's media address, from its first packet
	got  []heard
	news chan struct{} // a packet arrived (capacity 1)
}

// heard is one packet the switch sent.
type heard struct {
	at      time.Time
	samples []int16 // decoded PCMU
}

const (
	ptPCMU  = 0
	ptEvent = 101 // telephone-event, as the uac_rtp_peer scenarios offer it
)

func newRTPPeer(t *testing.T) *rtpPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: freePort(t)})
	if err != nil {
		t.Fatal(err)
	}
	p := &rtpPeer{t: t, conn: conn, port: conn.LocalAddr().(*net.UDPAddr).Port, ssrc: rand.Uint32(),
		seq: uint16(rand.Uint32()), ts: rand.Uint32(), news: make(chan struct{}, 1)}
	t.Cleanup(func() { conn.Close() })
	go p.read()
	return p
}

func (p *rtpPeer) read() {
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != ptPCMU {
			continue // RTCP, or not audio
		}
		h := heard{at: time.Now(), samples: make([]int16, len(pkt.Payload))}
		for i, b := range pkt.Payload {
			h.samples[i] = ulawToLinear(b)
		}
		p.mu.Lock()
		if p.to == nil {
			p.to = from
		}
		p.got = append(p.got, h)
		p.mu.Unlock()
		select {
		case p.news <- struct{}{}:
		default:
		}
	}
}

// heardSince returns the packets the switch sent after t.
func (p *rtpPeer) heardSince(t time.Time) []heard {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []heard
	for _, h := range p.got {
		if h.at.After(t) {
			out = append(out, h)
		}
	}
	return out
}

// waitSound waits up to timeout for a packet from the switch that
// arrives after t, and returns when it came.
func (p *rtpPeer) waitSound(what string, t time.Time, timeout time.Duration) time.Time {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		if h := p.heardSince(t); len(h) > 0 {
			return h[0].at
		}
		select {
		case <-p.news:
		case <-deadline:
			p.t.Fatalf("%s: the switch sent no audio within %s", what, timeout)
		}
	}
}

// waitQuiet waits until the switch, having sent at least least of audio
// since t, has sent nothing for quiet: what it was playing is over. It
// returns the arrival of the last packet.
func (p *rtpPeer) waitQuiet(what string, t time.Time, least, quiet, timeout time.Duration) time.Time {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		h := p.heardSince(t)
		if len(h) > 0 && len(samplesOf(h)) >= int(least.Seconds()*8000) && time.Since(h[len(h)-1].at) >= quiet {
			return h[len(h)-1].at
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("%s: the switch did not play %s and stop within %s (it played %.2f s)", what, least, timeout,
		float64(len(samplesOf(p.heardSince(t))))/8000)
	return time.Time{}
}

// send sends samples as 20 ms PCMU packets in real time, to the address
// the switch sends from (its SDP address and port: the switch plays first).
func (p *rtpPeer) send(samples []int16) {
	p.t.Helper()
	next := time.Now()
	for len(samples) > 0 {
		n := min(160, len(samples))
		p.sendPacket(samples[:n])
		samples = samples[n:]
		next = next.Add(20 * time.Millisecond)
		time.Sleep(time.Until(next))
	}
}

// sendPacket sends samples (at most 20 ms) as one PCMU packet, at once.
func (p *rtpPeer) sendPacket(samples []int16) {
	p.t.Helper()
	payload := make([]byte, len(samples))
	for i, s := range samples {
		payload[i] = linearToULaw(s)
	}
	p.write(ptPCMU, false, payload, uint32(len(samples)))
}

// pressKey sends one RFC 4733 key press: 100 ms of event packets sharing
// a timestamp, the first marked, then the end packet three times.
func (p *rtpPeer) pressKey(key rune) {
	p.t.Helper()
	code := strings.IndexRune("0123456789*#ABCD", key)
	if code < 0 {
		p.t.Fatalf("no DTMF event for %q", key)
	}
	p.sendMu.Lock()
	ts := p.ts
	p.sendMu.Unlock()
	for i := 1; i <= 8; i++ {
		end := i > 5
		d := min(i, 5) * 160
		payload := []byte{byte(code), 10, byte(d >> 8), byte(d)}
		if end {
			payload[1] |= 0x80
		}
		p.writeTS(ptEvent, i == 1, payload, ts)
		if !end {
			time.Sleep(20 * time.Millisecond)
		}
	}
	p.sendMu.Lock()
	p.ts = ts + 5*160
	p.sendMu.Unlock()
}

func (p *rtpPeer) write(pt uint8, marker bool, payload []byte, samples uint32) {
	p.sendMu.Lock()
	ts := p.ts
	p.ts += samples
	p.sendMu.Unlock()
	p.writeTS(pt, marker, payload, ts)
}

func (p *rtpPeer) writeTS(pt uint8, marker bool, payload []byte, ts uint32) {
	p.t.Helper()
	p.mu.Lock()
	to := p.to
	p.mu.Unlock()
	if to == nil {
		p.t.Fatal("the switch has sent nothing yet: no address to send to")
	}
	p.sendMu.Lock()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: p.seq, Timestamp: ts, SSRC: p.ssrc}, Payload: payload}
	p.seq++
	p.sendMu.Unlock()
	b, err := pkt.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.conn.WriteToUDP(b, to); err != nil {
		p.t.Fatal(err)
	}
}

// samplesOf joins what the switch sent.
func samplesOf(hs []heard) []int16 {
	var out []int16
	for _, h := range hs {
		out = append(out, h.samples...)
	}
	return out
}

// frequency is a tone's frequency by its zero crossings (8 kHz samples).
func frequency(samples []int16) int {
	crossings := 0
	for i := 1; i < len(samples); i++ {
		if (samples[i-1] < 0) != (samples[i] < 0) {
			crossings++
		}
	}
	return int(math.Round(float64(crossings) / 2 / (float64(len(samples)) / 8000)))
}

func tone(freq float64, d time.Duration) []int16 {
	out := make([]int16, int(d.Seconds()*8000))
	for i := range out {
		out[i] = int16(12000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return out
}

// G.711 mu-law, as the switch's phones speak it.
func linearToULaw(s int16) byte {
	v, sign := int(s), byte(0)
	if v < 0 {
		v, sign = -v, 0x80
	}
	v = min(v, 32635) + 0x84
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	return ^(sign | byte(exp<<4) | byte((v>>(exp+3))&0x0f))
}

func ulawToLinear(u byte) int16 {
	u = ^u
	v := (int(u&0x0f)<<3 + 0x84) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(0x84 - v)
	}
	return int16(v - 0x84)
}

// peerCall starts a sipp phone whose RTP is p's; args name the target,
// the user and the scenario's keys.
func (sw *switchProc) peerCall(t *testing.T, p *rtpPeer, scenarioFile, user, password, target string, extra ...string) func() sippResult {
	t.Helper()
	return startSipp(t, append([]string{sw.addr(), "-sf", scenario(scenarioFile), "-s", target, "-key", "caller", user,
		"-key", "rtp_port", strconv.Itoa(p.port), "-au", user, "-ap", password, "-m", "1", "-p", strconv.Itoa(freePort(t))}, extra...)...)
}

type mailboxMessage struct {
	ID      string  `json:"id"`
	From    string  `json:"from"`
	Seconds float64 `json:"seconds"`
	Heard   bool    `json:"heard"`
}

func (sw *switchProc) mailbox(t *testing.T, user string) []mailboxMessage {
	t.Helper()
	code, body := sw.api("GET", "/v1/voicemail?user="+user, nil)
	var msgs []mailboxMessage
	if err := json.Unmarshal(body, &msgs); err != nil || code != 200 {
		t.Fatalf("GET /v1/voicemail?user=%s: %d %s", user, code, body)
	}
	return msgs
}

// waitMailbox waits up to 5 s for n messages in user's mailbox (a caller
// who hangs up may be gone before the switch has stored the message).
func (sw *switchProc) waitMailbox(t *testing.T, user string, n int) []mailboxMessage {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		msgs := sw.mailbox(t, user)
		if len(msgs) >= n || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requirePortsFree fails unless every media port is back in the pool.
func (sw *switchProc) requirePortsFree(t *testing.T) {
	t.Helper()
	var body []byte
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, body = sw.api("GET", "/metrics", nil); strings.Contains(string(body), "dialtone_media_ports_in_use 0\n") {
			return
		}
	}
	t.Errorf("media ports still held after every call ended:\n%s", grepLines(string(body), "dialtone_media_ports"))
}

// stoppedBy is why the switch says its last voicemail recording stopped.
func (sw *switchProc) stoppedBy() string {
	m := regexp.MustCompile(`msg="voicemail recorded".*stopped_by=(\w+)`).FindAllStringSubmatch(sw.log.String(), -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

// leaveMessage leaves carol a message of about 1.5 s by a call that
// hangs up (what the greeting leaves of 3 s).
func leaveMessage(t *testing.T, sw *switchProc) mailboxMessage {
	t.Helper()
	if res := sippRTPCaller(t, sw, "1003", 3000); res.code != 0 {
		t.Fatalf("caller: %d\n%s", res.code, res.out)
	}
	msgs := sw.waitMailbox(t, "1003", 1)
	if len(msgs) != 1 || msgs[0].Seconds < 0.5 {
		t.Fatalf("carol's mailbox: %+v", msgs)
	}
	return msgs[0]
}

// A key pressed after a message has finished playing, while the mailbox
// waits for one, acts at once. It used to wait forever on the finished
// player: no farewell, no BYE, the message kept.
func TestMailboxKeyPressedAfterTheMessageHasPlayed(t *testing.T) {
	t.Parallel()
	// The mailbox says how many messages it holds (about 2 s), then per
	// message plays a beep and a pause (0.55 s) and the message, then waits
	// 5 s for a key; after 7 it says "message deleted", after the last
	// message "end of messages" and two beeps, and hangs up.
	const farewell = 800 * time.Millisecond
	beepsAnd := func(m mailboxMessage) time.Duration {
		return time.Duration((1.1+m.Seconds)*1000)*time.Millisecond - 200*time.Millisecond // less a packet lost here and there
	}
	t.Run("RFC 4733", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{Voicemail: true})
		msg := leaveMessage(t, sw)
		p := newRTPPeer(t)
		start := time.Now()
		phone := sw.peerCall(t, p, "uac_rtp_peer.xml", "1003", "carol-secret", "*97")
		p.waitSound("the new-message beep", start, 10*time.Second)
		// All of the beeps and the message, then nothing for 500 ms: the
		// message is over.
		end := p.waitQuiet("the message", start, beepsAnd(msg), 500*time.Millisecond, 15*time.Second)
		time.Sleep(time.Until(end.Add(time.Second))) // well after the end, well within the 5 s wait
		keyAt := time.Now()
		p.pressKey('7')
		farewellAt := p.waitSound("the farewell after 7", keyAt, 3*time.Second)
		if d := farewellAt.Sub(keyAt); d > 1500*time.Millisecond {
			t.Errorf("the farewell began %s after the key", d)
		}
		mustSucceed(t, "carol's phone", phone)
		if took := time.Since(keyAt); took > 5*time.Second {
			t.Errorf("the switch hung up %s after the key", took)
		}
		if msgs := sw.mailbox(t, "1003"); len(msgs) != 0 {
			t.Fatalf("after 7 the message must be gone: %+v", msgs)
		}
		assertMailboxLeg(t, sw)
		sw.requirePortsFree(t)
	})
	t.Run("SIP INFO", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{Voicemail: true})
		msg := leaveMessage(t, sw)
		p := newRTPPeer(t)
		// The INFO goes 1.5 s after the end of the message: the spoken
		// summary and its pause, the message's beep and pause, the message,
		// the margin.
		summary, err := media.Say("you-have", "1", "new-message")
		if err != nil {
			t.Fatal(err)
		}
		intro := float64(len(summary))/8000 + 0.3
		pressAt := time.Duration((intro+0.55+msg.Seconds+1.5)*1000) * time.Millisecond
		start := time.Now()
		phone := sw.peerCall(t, p, "uac_rtp_peer_info.xml", "1003", "carol-secret", "*97",
			"-key", "key", "7", "-d", strconv.FormatInt(pressAt.Milliseconds(), 10))
		p.waitSound("the new-message beep", start, 10*time.Second)
		end := p.waitQuiet("the message", start, beepsAnd(msg), 500*time.Millisecond, 15*time.Second)
		farewellAt := p.waitSound("the farewell after 7", end, pressAt+3*time.Second)
		mustSucceed(t, "carol's phone", phone)
		// The farewell followed the INFO, which came after the message: the
		// switch was silent, waiting, for about the 1.5 s margin, and acted on
		// the key long before its 5 s wait would have ended.
		if gap := farewellAt.Sub(end); gap < 700*time.Millisecond || gap > 4*time.Second {
			t.Fatalf("%s between the end of the message and the farewell, want about 1.5 s", gap)
		}
		if msgs := sw.mailbox(t, "1003"); len(msgs) != 0 {
			t.Fatalf("after 7 the message must be gone: %+v", msgs)
		}
		if got := float64(len(samplesOf(p.heardSince(farewellAt.Add(-time.Millisecond))))) / 8000; got < farewell.Seconds()-0.1 {
			t.Errorf("the farewell lasted %.2f s", got)
		}
		assertMailboxLeg(t, sw)
		sw.requirePortsFree(t)
	})
}

// assertMailboxLeg checks the CDRs of one deposit and one mailbox call.
func assertMailboxLeg(t *testing.T, sw *switchProc) {
	t.Helper()
	legs := sw.cdrs(2)
	if len(legs) != 2 {
		t.Fatalf("want the deposit's and the mailbox call's legs: %+v", legs)
	}
	for _, l := range legs {
		if l.Direction != "inbound" || l.Reason != "voicemail" || l.Disposition != "answered" || l.SIPCode != 200 {
			t.Errorf("leg: %+v", l)
		}
	}
}

// Calls a user does not take go to the user's voicemail by default: no
// answer within the ring timeout, and busy (not registered is
// TestVoicemailTakesAMessageAndLightsTheLamp).
func TestVoicemailTakesCallsTheUserDoesNotTake(t *testing.T) {
	t.Parallel()
	t.Run("no answer within the ring timeout", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{Voicemail: true, RingTimeout: "1s"})
		ringing := sw.phone(t, "1003", "carol-secret", "-sf", scenario("callee_ring.xml"), "-m", "1")
		lamp := startSipp(t, sw.addr(), "-sf", scenario("subscribe_mwi.xml"), "-s", "1003", "-au", "1003", "-ap", "carol-secret",
			"-m", "1", "-p", strconv.Itoa(freePort(t)), "-timeout", "40s")
		// 1 s of ringing, the 1.4 s greeting, then about 2 s of alice's tone.
		if res := sippRTPCaller(t, sw, "1003", 4500); res.code != 0 {
			t.Fatalf("caller: %d\n%s", res.code, res.out)
		}
		mustSucceed(t, "carol's ringing phone (canceled)", ringing)
		mustSucceed(t, "carol's message-waiting subscription", lamp)
		assertLegs(t, sw.cdrs(2),
			"inbound/phone/client/voicemail/answered/1001",
			"outbound/phone/client/direct/no-answer/1003")
		if msgs := sw.waitMailbox(t, "1003", 1); len(msgs) != 1 || msgs[0].From != "1001" || msgs[0].Seconds < 1 {
			t.Fatalf("carol's mailbox: %+v", msgs)
		}
		sw.requirePortsFree(t)
	})
	t.Run("busy", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{Voicemail: true})
		busy := sw.phone(t, "1003", "carol-secret", "-sf", scenario("callee_busy.xml"), "-m", "1")
		if res := sippRTPCaller(t, sw, "1003", 3500); res.code != 0 {
			t.Fatalf("caller: %d\n%s", res.code, res.out)
		}
		mustSucceed(t, "carol's busy phone", busy)
		assertLegs(t, sw.cdrs(2),
			"inbound/phone/client/voicemail/answered/1001",
			"outbound/phone/client/direct/busy/1003")
		if msgs := sw.waitMailbox(t, "1003", 1); len(msgs) != 1 || msgs[0].From != "1001" || msgs[0].Seconds < 1 {
			t.Fatalf("carol's mailbox: %+v", msgs)
		}
		sw.requirePortsFree(t)
	})
	t.Run("the user's forwarding rule wins over the default", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{Voicemail: true, UserExtra: map[string]string{"1002": "    forwarding: {unregistered: \"1003\"}"}})
		carol := sw.phone(t, "1003", "carol-secret", "-sn", "uas", "-m", "1")
		if res := sw.call(t, "1001", "alice-secret", "1002", 300); res.code != 0 {
			t.Fatalf("call: %d\n%s", res.code, res.out)
		}
		mustSucceed(t, "carol", carol)
		assertLegs(t, sw.cdrs(2),
			"inbound/phone/client/direct/answered/1001",
			"outbound/phone/client/forward/answered/1003")
		if msgs := sw.mailbox(t, "1002"); len(msgs) != 0 {
			t.Fatalf("bob's mailbox: %+v", msgs)
		}
	})
}

// The caller hears the user's own greeting, and # ends the recording:
// the switch keeps the message and hangs up.
func TestVoicemailPlaysTheUsersGreetingAndHashEndsTheMessage(t *testing.T) {
	t.Parallel()
	requireTool(t, "sox")
	greeting := filepath.Join(t.TempDir(), "greeting.wav")
	if out, err := exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", greeting, "synth", "1", "sine", "600", "vol", "0.5").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	sw := startSwitch(t, switchOpts{Voicemail: true, UserExtra: map[string]string{"1003": "    voicemail_greeting: " + greeting}})
	p := newRTPPeer(t)
	start := time.Now()
	caller := sw.peerCall(t, p, "uac_rtp_peer.xml", "1001", "alice-secret", "1003")
	p.waitSound("the greeting", start, 10*time.Second)
	end := p.waitQuiet("the greeting", start, 800*time.Millisecond, 400*time.Millisecond, 10*time.Second)
	heard := samplesOf(p.heardSince(start))
	if secs, f := float64(len(heard))/8000, frequency(heard); secs < 0.9 || secs > 1.2 || f < 580 || f > 620 {
		t.Fatalf("the caller heard %.2f s of %d Hz, want carol's 1 s 600 Hz greeting", secs, f)
	}
	p.send(tone(440, 1500*time.Millisecond))
	keyAt := time.Now()
	p.pressKey('#')
	// The switch hangs up: the phone's scenario ends on its BYE.
	mustSucceed(t, "alice's phone", caller)
	if took := time.Since(keyAt); took > 3*time.Second {
		t.Errorf("the switch hung up %s after #", took)
	}
	if why := sw.stoppedBy(); why != "key" {
		t.Errorf("the recording stopped by %q, want key", why)
	}
	msgs := sw.waitMailbox(t, "1003", 1)
	if len(msgs) != 1 || msgs[0].From != "1001" || msgs[0].Seconds < 1.2 || msgs[0].Seconds > 2.5 {
		t.Fatalf("carol's mailbox: %+v (greeting ended %s after the call began)", msgs, end.Sub(start))
	}
	assertLegs(t, sw.cdrs(1), "inbound/phone/client/voicemail/answered/1001")
	sw.requirePortsFree(t)
}

// talkUntilHangUp is a caller who keeps talking: it sends a 440 Hz tone
// until the phone's scenario ends (the switch hung up) and returns how it
// ended and when. After limit it stops talking and just waits, so a
// switch that never hangs up fails the test through the scenario's own
// BYE timeout rather than hanging it.
func (p *rtpPeer) talkUntilHangUp(phone func() sippResult, limit time.Duration) (sippResult, time.Time) {
	p.t.Helper()
	done := make(chan sippResult, 1)
	go func() { done <- phone() }()
	speech := tone(440, limit)
	// Paced by one clock, not 20 ms after each packet: on a busy machine
	// every late wake-up would otherwise be lost for good, and the switch
	// would get less audio than the time that passed.
	next := time.Now()
	for sent := 0; sent+160 <= len(speech); sent += 160 {
		select {
		case res := <-done:
			return res, time.Now()
		case <-time.After(time.Until(next)):
		}
		p.sendPacket(speech[sent : sent+160])
		next = next.Add(20 * time.Millisecond)
	}
	res := <-done
	return res, time.Now()
}

// storedMessage fetches a message's WAV through the API and decodes it.
func (sw *switchProc) storedMessage(t *testing.T, user string, m mailboxMessage) *media.WAV {
	t.Helper()
	code, body := sw.api("GET", "/v1/voicemail/"+user+"/"+m.ID, nil)
	if code != 200 {
		t.Fatalf("GET /v1/voicemail/%s/%s: %d %s", user, m.ID, code, body)
	}
	w, err := media.ReadWAV(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("message %s: %v", m.ID, err)
	}
	return w
}

// A # sent by SIP INFO ends the recording as an RFC 4733 # does: the
// switch keeps the message and hangs up. It used to be read only by the
// mailbox's menu, so a phone that sends its keys by INFO could not end a
// message at all.
func TestVoicemailHashBySIPInfoEndsTheMessage(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Voicemail: true})
	p := newRTPPeer(t)
	// The default greeting lasts about 1.4 s: the INFO comes about 2 s into
	// the message. The caller sends no RFC 4733 event at all.
	const pressAfter = 3500 * time.Millisecond
	start := time.Now()
	caller := sw.peerCall(t, p, "uac_rtp_peer_info.xml", "1001", "alice-secret", "1003",
		"-key", "key", "#", "-d", strconv.FormatInt(pressAfter.Milliseconds(), 10))
	answered := p.waitSound("the greeting", start, 10*time.Second)
	// The caller talks over the greeting and on until the switch hangs up;
	// the scenario fails unless the switch answers the INFO and sends BYE.
	res, hungUp := p.talkUntilHangUp(caller, 15*time.Second)
	if res.code != 0 {
		t.Fatalf("alice's phone: sipp exit %d\n%s", res.code, res.out)
	}
	// The switch only plays the greeting: its last packet ends it.
	heard := p.heardSince(start)
	greetingEnd := heard[len(heard)-1].at
	pressedAt := answered.Add(pressAfter) // the scenario's pause starts at its ACK, as the greeting does
	if d := hungUp.Sub(pressedAt); d < -300*time.Millisecond || d > 3*time.Second {
		t.Errorf("the switch hung up %s after the INFO, want right after it", d)
	}
	if why := sw.stoppedBy(); why != "key" {
		t.Errorf("the recording stopped by %q, want key", why)
	}
	msgs := sw.waitMailbox(t, "1003", 1)
	if len(msgs) != 1 || msgs[0].From != "1001" {
		t.Fatalf("carol's mailbox: %+v", msgs)
	}
	// The message is what the caller said from the end of the greeting to
	// the INFO, about want; the bounds are looser because the recorder
	// places audio by its RTP timestamps from the first packet it reads,
	// and a switch that reads late then (a busy machine) starts the message
	// with older audio. Still: a real message, and never more than all the
	// caller said before the INFO.
	want := pressedAt.Sub(greetingEnd).Seconds()
	t.Logf("greeting %s, hang-up %s after the INFO, message %.2f s (greeting end to INFO %.2f s)",
		greetingEnd.Sub(answered), hungUp.Sub(pressedAt), msgs[0].Seconds, want)
	if got := msgs[0].Seconds; got < 1 || got > pressAfter.Seconds()+0.3 {
		t.Errorf("the message lasts %.2f s, want about %.2f s (greeting end to INFO)", got, want)
	}
	assertLegs(t, sw.cdrs(1), "inbound/phone/client/voicemail/answered/1001")
	sw.requirePortsFree(t)
}

// sip.voicemail_max_length cuts a caller who keeps talking: the switch
// keeps the message, as long as the limit, and hangs up, and the caller's
// media port goes back to the pool.
func TestVoicemailMaxLengthCutsTheMessage(t *testing.T) {
	t.Parallel()
	const maxLength = 3 * time.Second
	sw := startSwitch(t, switchOpts{Voicemail: true, SIPExtra: "  voicemail_max_length: 3s"})
	p := newRTPPeer(t)
	start := time.Now()
	caller := sw.peerCall(t, p, "uac_rtp_peer.xml", "1001", "alice-secret", "1003")
	p.waitSound("the greeting", start, 10*time.Second)
	// Talking from the first note of the greeting on, the caller leaves no
	// silence (the 5 s limit would end the message too, but later) and the
	// recording gets audio from its very start.
	res, hungUp := p.talkUntilHangUp(caller, 15*time.Second)
	if res.code != 0 {
		t.Fatalf("alice's phone: sipp exit %d\n%s", res.code, res.out)
	}
	heard := p.heardSince(start)
	greetingEnd := heard[len(heard)-1].at
	if d := hungUp.Sub(greetingEnd); d < maxLength-200*time.Millisecond || d > maxLength+2*time.Second {
		t.Errorf("the switch hung up %s after the greeting, want about %s", d, maxLength)
	}
	if why := sw.stoppedBy(); why != "max_length" {
		t.Errorf("the recording stopped by %q, want max_length", why)
	}
	// The message is cut after maxLength of wall time; its length, from
	// the RTP timestamps, strays from that only by how much later the
	// switch read its first packet than its last (a busy machine).
	const slack = 0.8
	msgs := sw.waitMailbox(t, "1003", 1)
	if len(msgs) != 1 || msgs[0].From != "1001" || math.Abs(msgs[0].Seconds-maxLength.Seconds()) > slack {
		t.Fatalf("carol's mailbox: %+v, want one message of about %s", msgs, maxLength)
	}
	// The stored audio is the caller's tone, cut at the limit.
	w := sw.storedMessage(t, "1003", msgs[0])
	t.Logf("hang-up %s after the greeting, message %.2f s, stored %s of %d Hz",
		hungUp.Sub(greetingEnd), msgs[0].Seconds, w.Duration(), frequency(w.Samples))
	if d, f := w.Duration(), frequency(w.Samples); math.Abs(d.Seconds()-maxLength.Seconds()) > slack || f < 420 || f > 460 {
		t.Errorf("the stored message is %s of %d Hz, want about %s of the caller's 440 Hz", d, f, maxLength)
	}
	assertLegs(t, sw.cdrs(1), "inbound/phone/client/voicemail/answered/1001")
	sw.requirePortsFree(t)
}

// A caller who says nothing more for the silence limit (5 s, or
// sip.voicemail_silence) ends the recording: the switch keeps the message
// and hangs up.
func TestVoicemailSilenceEndsTheMessage(t *testing.T) {
	// Not parallel: it bounds when silence ends the message to half a second.
	tests := []struct {
		name    string
		sip     string // lines under sip:
		silence time.Duration
		// latest is when the hang-up must have come, for the configured
		// silence to be told from the default 5 s.
		latest time.Duration
	}{
		{name: "the default 5 s", silence: 5 * time.Second, latest: 8 * time.Second},
		{name: "sip.voicemail_silence", sip: "  voicemail_silence: 2s", silence: 2 * time.Second, latest: 4500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw := startSwitch(t, switchOpts{Voicemail: true, SIPExtra: tt.sip})
			p := newRTPPeer(t)
			start := time.Now()
			caller := sw.peerCall(t, p, "uac_rtp_peer.xml", "1001", "alice-secret", "1003")
			p.waitSound("the greeting", start, 10*time.Second)
			p.waitQuiet("the greeting", start, time.Second, 400*time.Millisecond, 10*time.Second)
			p.send(tone(440, time.Second))
			quietFrom := time.Now()
			// Then silence, as a phone sends it, until the switch hangs up (at
			// most 10 s).
			done := make(chan sippResult, 1)
			go func() { done <- caller() }()
			var res sippResult
			silence := make([]int16, 160)
			next := time.Now() // one clock, as in talkUntilHangUp
		silent:
			for sent := 0; ; sent++ {
				if sent == 500 {
					res = <-done
					break
				}
				select {
				case res = <-done:
					break silent
				case <-time.After(time.Until(next)):
				}
				p.sendPacket(silence)
				next = next.Add(20 * time.Millisecond)
			}
			if res.code != 0 {
				t.Fatalf("alice's phone: sipp exit %d\n%s", res.code, res.out)
			}
			if took := time.Since(quietFrom); took < tt.silence-500*time.Millisecond || took > tt.latest {
				t.Errorf("the switch hung up after %s of silence, want about %s", took, tt.silence)
			}
			if why := sw.stoppedBy(); why != "silence" {
				t.Errorf("the recording stopped by %q, want silence", why)
			}
			// The message keeps the 1 s tone and the silence the switch waited
			// for.
			if msgs := sw.waitMailbox(t, "1003", 1); len(msgs) != 1 || msgs[0].Seconds < tt.silence.Seconds() || msgs[0].Seconds > tt.silence.Seconds()+2.5 {
				t.Fatalf("carol's mailbox: %+v, want one message of about %s", msgs, time.Second+tt.silence)
			}
			sw.requirePortsFree(t)
		})
	}
}

// The voicemail leg of a call from the public network is an answered
// pstn-inbound leg, charged like any answered inbound call.
func TestVoicemailFromTheTrunkIsChargedAsAnAnsweredInboundLeg(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Voicemail: true})
	before, _ := sw.balance()
	// Bob is not registered: his number's caller gets his voicemail.
	res := sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+14155550101", "-key", "caller", "+16505550123",
		"-d", "2500", "-m", "1", "-p", strconv.Itoa(freePort(t)))
	if res.code != 0 {
		t.Fatalf("inbound call: %d\n%s", res.code, res.out)
	}
	legs := sw.cdrs(1)
	assertLegs(t, legs, "inbound/trunk/pstn-inbound/voicemail/answered/")
	l := legs[0]
	if l.PhoneNumber != "+14155550101" || l.AnsweredAt == nil || l.BillableSecs < 2 || l.BillableSecs > 4 {
		t.Errorf("voicemail leg: %+v", l)
	}
	// Sample deck: US local inbound 0.0085/min, one started minute -> 0.01,
	// as for the inbound leg of a forwarded call (TestForwarding).
	if got := strings.Join(charged(t, legs), " "); got != "pstn-inbound=0.01" {
		t.Fatalf("charges: %q", got)
	}
	// The ledger is debited as the leg ends, a moment after its CDR.
	after := before
	for deadline := time.Now().Add(5 * time.Second); after == before && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		after, _ = sw.balance()
	}
	if d := dec(t, before).Sub(dec(t, after)); !d.Equal(dec(t, "0.01")) {
		t.Fatalf("balance %s -> %s: debited %s, want 0.01", before, after, d)
	}
	sw.requirePortsFree(t)
}
