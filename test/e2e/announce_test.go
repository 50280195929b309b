package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
)

// The recording announcement is checked packet by packet, so the phones
// here are small sipgo user agents whose RTP sockets the test owns: it
// knows the switch's media address from the SDP, the parties talk from
// the moment they are connected, and every packet they get is kept.

const (
	annCallerTone = 440 // what the caller says
	annCalleeTone = 660 // what the callee says
	// annPackets is the built-in announcement: 1 s of 20 ms packets.
	annPackets = 50
)

// annMedia is a party's RTP socket: it keeps what arrives and, once told
// where to, says its tone in 20 ms G.711 packets.
type annMedia struct {
	t    *testing.T
	conn *net.UDPConn
	ssrc uint32
	tone []int16

	mu      sync.Mutex
	got     []annPacket
	sent    []time.Time
	talking bool
	stop    chan struct{} // closed by close
	quiet   chan struct{} // closed by hush
	wg      sync.WaitGroup
}

type annPacket struct {
	at      time.Time
	ssrc    uint32
	pt      uint8
	samples []int16
}

func newAnnMedia(t *testing.T, freq float64) *annMedia {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &annMedia{t: t, conn: conn, ssrc: rand.Uint32(), tone: media.GenerateTone(freq, 10*time.Second, 0.2),
		stop: make(chan struct{}), quiet: make(chan struct{})}
	p.wg.Add(1)
	go p.read()
	t.Cleanup(p.close)
	return p
}

func (p *annMedia) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

func (p *annMedia) read() {
	defer p.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		samples, _ := media.DecodeG711(nil, pkt.PayloadType, pkt.Payload)
		p.mu.Lock()
		p.got = append(p.got, annPacket{at: time.Now(), ssrc: pkt.SSRC, pt: pkt.PayloadType, samples: samples})
		p.mu.Unlock()
	}
}

// talk sends the tone to the switch's leg at to, as payload type pt, until
// the peer closes.
func (p *annMedia) talk(to netip.AddrPort, pt uint8) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.talking {
		return
	}
	p.talking = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(media.PacketTime)
		defer tick.Stop()
		hdr := rtp.Header{Version: 2, PayloadType: pt, SSRC: p.ssrc, SequenceNumber: 1, Timestamp: 1}
		for off := 0; off+160 <= len(p.tone); off += 160 {
			payload, _ := media.EncodeG711(nil, pt, p.tone[off:off+160])
			raw, _ := (&rtp.Packet{Header: hdr, Payload: payload}).Marshal()
			if _, err := p.conn.WriteToUDPAddrPort(raw, to); err != nil {
				return
			}
			p.mu.Lock()
			p.sent = append(p.sent, time.Now())
			p.mu.Unlock()
			hdr.SequenceNumber++
			hdr.Timestamp += 160
			select {
			case <-p.stop:
				return
			case <-p.quiet:
				return
			case <-tick.C:
			}
		}
	}()
}

// hush stops talking, as a phone does when it hangs up.
func (p *annMedia) hush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.quiet:
	default:
		close(p.quiet)
	}
}

func (p *annMedia) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	p.conn.Close()
	p.wg.Wait()
}

// runs splits what the peer got before until into runs of one SSRC, in
// arrival order.
func (p *annMedia) runs(until time.Time) []annRun {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []annRun
	for _, a := range p.got {
		if !a.at.Before(until) {
			break
		}
		if len(out) == 0 || out[len(out)-1].ssrc != a.ssrc {
			out = append(out, annRun{ssrc: a.ssrc, pt: a.pt, first: a.at})
		}
		r := &out[len(out)-1]
		r.packets++
		r.last = a.at
		r.samples = append(r.samples, a.samples...)
	}
	return out
}

// sentBetween counts the packets the peer sent between from and to.
func (p *annMedia) sentBetween(from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, at := range p.sent {
		if at.After(from) && at.Before(to) {
			n++
		}
	}
	return n
}

type annRun struct {
	ssrc        uint32
	pt          uint8
	packets     int
	first, last time.Time
	samples     []int16
}

// frequency estimates the tone of the run's first 400 ms from zero
// crossings.
func (r annRun) frequency() float64 {
	s := r.samples[:min(len(r.samples), 3200)]
	crossings, prev := 0, int16(0)
	for _, v := range s {
		if v == 0 {
			continue
		}
		if prev != 0 && (v > 0) != (prev > 0) {
			crossings++
		}
		prev = v
	}
	return float64(crossings) / 2 / (float64(len(s)) / 8000)
}

// annPhone is a sipgo user agent with its own listening port and an RTP
// peer: it places calls with digest auth or answers them.
type annPhone struct {
	t        *testing.T
	ua       *sipgo.UserAgent
	cli      *sipgo.Client
	incoming *sipgo.DialogServerCache
	outgoing *sipgo.DialogClientCache
	rtp      *annMedia
	answered chan *sipgo.DialogServerSession
	// answerWith, when set before a call comes, gives the answer to an
	// offer from the switch's media address and whether to talk then.
	answerWith func(switchLeg netip.AddrPort) (sdp []byte, talk bool)

	mu       sync.Mutex
	notifies []string // the sipfrag bodies of the NOTIFYs a transferor gets
}

// annOffer and annAnswer let the answer pick PCMA, so the announcement
// must follow the negotiation, not assume PCMU.
const (
	annOffer  = "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	annAnswer = "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)

func newAnnPhone(t *testing.T, port int, tone float64) *annPhone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	p := &annPhone{t: t, ua: ua, rtp: newAnnMedia(t, tone), answered: make(chan *sipgo.DialogServerSession, 1)}
	srv, _ := sipgo.NewServer(ua)
	p.cli, _ = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	contact := sip.ContactHeader{Address: sip.Uri{User: "phone", Host: "127.0.0.1", Port: port}}
	p.incoming = sipgo.NewDialogServerCache(p.cli, contact)
	p.outgoing = sipgo.NewDialogClientCache(p.cli, contact)
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		d, err := p.incoming.ReadInvite(req, tx)
		if err != nil {
			return
		}
		switchLeg, err := media.Remote(req.Body())
		if err != nil {
			_ = d.Respond(488, "Not Acceptable Here", nil)
			return
		}
		answer, talk := []byte(fmt.Sprintf(annAnswer, p.rtp.port())), true
		if p.answerWith != nil {
			answer, talk = p.answerWith(switchLeg)
		}
		// Like a phone, talk once the answer is through (ACKed).
		if err := d.RespondSDP(answer); err != nil {
			return
		}
		if talk {
			p.rtp.talk(switchLeg, media.PayloadPCMA)
		}
		p.answered <- d
		<-d.Context().Done()
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.incoming.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.incoming.ReadBye(req, tx); err == nil {
			return
		}
		if err := p.outgoing.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.notifies = append(p.notifies, strings.TrimSpace(string(req.Body())))
		p.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeUDP(pc) }()
	t.Cleanup(func() { pc.Close(); ua.Close() })
	return p
}

// call places a call as user and talks once it is answered.
func (p *annPhone) call(sw *switchProc, user, password, target string) *sipgo.DialogClientSession {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	from := &sip.FromHeader{Address: sip.Uri{User: user, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	d, err := p.outgoing.Invite(ctx, sip.Uri{User: target, Host: "127.0.0.1", Port: sw.sipPort},
		[]byte(fmt.Sprintf(annOffer, p.rtp.port())), sip.NewHeader("Content-Type", "application/sdp"), from)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: user, Password: password}); err != nil {
		p.t.Fatalf("call %s: %v", target, err)
	}
	if err := d.Ack(ctx); err != nil {
		p.t.Fatal(err)
	}
	switchLeg, err := media.Remote(d.InviteResponse.Body())
	if err != nil {
		p.t.Fatalf("answer SDP: %v", err)
	}
	p.rtp.talk(switchLeg, media.PayloadPCMA)
	return d
}

func annHangUp(t *testing.T, d *sipgo.DialogClientSession) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Bye(ctx); err != nil {
		t.Errorf("bye: %v", err)
	}
}

// annToneLevel is the amplitude (of full scale) of freq in samples: the
// Goertzel algorithm, so a tone is found under the parties' own.
func annToneLevel(s []int16, freq float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2 float64
	for _, x := range s {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return 2 * math.Sqrt(s1*s1+s2*s2-coeff*s1*s2) / float64(len(s))
}

// annRecording fetches a leg's recording and splits it.
func annRecording(t *testing.T, sw *switchProc, legID string) (path string, left, right []int16) {
	t.Helper()
	code, wav := sw.api("GET", "/v1/recordings/"+legID, nil)
	if code != 200 {
		t.Fatalf("GET recording: %d %s", code, wav)
	}
	path = filepath.Join(t.TempDir(), "call.wav")
	if err := os.WriteFile(path, wav, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := media.ReadWAV(bytes.NewReader(wav))
	if err != nil || w.Channels != 2 {
		t.Fatalf("recording: %v, %+v", err, w)
	}
	for i := 0; i+1 < len(w.Samples); i += 2 {
		left, right = append(left, w.Samples[i]), append(right, w.Samples[i+1])
	}
	return path, left, right
}

func TestTheRecordingAnnouncementIsPlayedToBothPartiesAndRecorded(t *testing.T) {
	// Not parallel: it counts the announcement's packets and bounds what arrives after the BYE to 150 ms.
	const announce = "  recording_announcement: true"
	tests := []struct {
		name       string
		media      string
		onDemand   bool          // POST .../recording while the call is up
		hangUpAt   time.Duration // the caller hangs up this long after the answer
		wantRuns   []string      // what each party hears: "ann" or "peer"
		announcedR bool          // the recording starts with the announcement
	}{
		{name: "a call recorded by config hears it first", media: "  record_all: true\n" + announce,
			hangUpAt: 3 * time.Second, wantRuns: []string{"ann", "peer"}, announcedR: true},
		{name: "on-demand recording announces itself mid-call", media: announce, onDemand: true,
			hangUpAt: 4 * time.Second, wantRuns: []string{"peer", "ann", "peer"}, announcedR: true},
		{name: "without the announcement nothing is played", media: "  record_all: true",
			hangUpAt: 3 * time.Second, wantRuns: []string{"peer"}},
		{name: "a hang-up cuts it short", media: "  record_all: true\n" + announce,
			hangUpAt: 300 * time.Millisecond, wantRuns: []string{"ann"}, announcedR: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw := startSwitch(t, switchOpts{MediaExtra: tt.media})
			var during func()
			if tt.onDemand {
				during = func() {
					time.Sleep(time.Second)
					var calls []struct {
						CallID string `json:"call_id"`
					}
					if _, body := sw.api("GET", "/v1/calls", nil); json.Unmarshal(body, &calls) != nil || len(calls) != 1 {
						t.Fatalf("GET /v1/calls: %s", body)
					}
					if code, body := sw.api("POST", "/v1/calls/"+calls[0].CallID+"/recording", nil); code != 200 {
						t.Fatalf("start recording: %d %s", code, body)
					}
				}
			}
			caller, callee, byeAt := annCall(t, sw, tt.hangUpAt, during)

			for _, side := range []struct {
				name       string
				hears, say *annMedia
				peerTone   float64
				until      time.Time // what came after the phone hung up is not heard
			}{{"caller", caller.rtp, callee.rtp, annCalleeTone, byeAt}, {"callee", callee.rtp, caller.rtp, annCallerTone, time.Now()}} {
				runs := side.hears.runs(side.until)
				var kinds []string
				for _, r := range runs {
					kind := "ann"
					if r.ssrc == side.say.ssrc {
						kind = "peer"
					}
					kinds = append(kinds, kind)
				}
				if fmt.Sprint(kinds) != fmt.Sprint(tt.wantRuns) {
					t.Fatalf("the %s heard %v (packets: %v), want %v", side.name, kinds, annPacketCounts(runs), tt.wantRuns)
				}
				for i, r := range runs {
					if r.pt != media.PayloadPCMA {
						t.Errorf("the %s got payload type %d, want the negotiated PCMA", side.name, r.pt)
					}
					switch f := r.frequency(); {
					case kinds[i] == "peer" && math.Abs(f-side.peerTone) > 20:
						t.Errorf("the %s heard the other party at %.0f Hz, want %.0f", side.name, f, side.peerTone)
					case kinds[i] == "ann" && math.Abs(f-media.RecordingWarningFreq) > 40:
						t.Errorf("the %s heard the announcement at %.0f Hz, want %d", side.name, f, media.RecordingWarningFreq)
					}
					if kinds[i] != "ann" {
						continue
					}
					if tt.hangUpAt > 2*time.Second && r.packets != annPackets {
						t.Errorf("the %s got %d announcement packets, want %d", side.name, r.packets, annPackets)
					}
					// The other party talked all along: nothing of it came through.
					if n := side.say.sentBetween(r.first, r.last); n < r.packets/2 {
						t.Errorf("the other party sent %d packets during %d of the announcement: muting not exercised", n, r.packets)
					}
					if tt.hangUpAt < time.Second {
						if r.packets >= annPackets*3/4 {
							t.Errorf("the %s got %d announcement packets after a hang-up at %v", side.name, r.packets, tt.hangUpAt)
						}
						if side.name == "callee" && r.last.Sub(byeAt) > 150*time.Millisecond {
							t.Errorf("the announcement went on %v after the caller hung up", r.last.Sub(byeAt))
						}
					}
				}
			}

			in, _ := byDirection(t, sw.cdrs(2))
			if in.Disposition != "answered" || in.Recording == nil {
				t.Fatalf("caller's leg: %s, recording %+v", in.Disposition, in.Recording)
			}
			if tt.hangUpAt < time.Second {
				return // too short to look into
			}
			path, left, right := annRecording(t, sw, in.LegID)
			start, later := 0, 8000+4000 // the first 400 ms; from 1.5 s on (after the announcement)
			if len(left) < later+4000 {
				t.Fatalf("the recording lasts %d samples", len(left))
			}
			for name, ch := range map[string][]int16{"left": left, "right": right} {
				first := annToneLevel(ch[start:start+3200], media.RecordingWarningFreq)
				after := annToneLevel(ch[later:later+4000], media.RecordingWarningFreq)
				t.Logf("%s channel: 1400 Hz at %.3f in the first 400 ms, %.3f later", name, first, after)
				if tt.announcedR != (first > 0.15) || after > 0.02 {
					t.Errorf("%s channel: 1400 Hz at %.3f first and %.3f later; announced: %v", name, first, after, tt.announcedR)
				}
			}
			if l, r := annToneLevel(left[later:later+4000], annCallerTone), annToneLevel(right[later:later+4000], annCalleeTone); l < 0.1 || r < 0.1 {
				t.Errorf("the parties are missing from the recording: caller %.3f, callee %.3f", l, r)
			}
			if tt.announcedR {
				// And sox agrees, reading the file on its own.
				for _, ch := range []string{"1", "2"} {
					if f := wavFrequency(t, path, "trim", "0", "0.4", "remix", ch, "sinc", "1000-1800"); f < 1300 || f > 1500 {
						t.Errorf("sox: channel %s starts at %d Hz, want the %d Hz announcement", ch, f, media.RecordingWarningFreq)
					}
				}
			}
		})
	}
}

// annCall has alice call out through the trunk to a phone there; both
// talk from the answer on, during runs while the call is up, and alice
// hangs up hold after the answer. It returns the phones, done talking,
// and when alice hung up.
func annCall(t *testing.T, sw *switchProc, hold time.Duration, during func()) (caller, callee *annPhone, byeAt time.Time) {
	t.Helper()
	callee = newAnnPhone(t, sw.trunk, annCalleeTone)
	caller = newAnnPhone(t, freePort(t), annCallerTone)
	d := caller.call(sw, "1001", "alice-secret", "+14155550199")
	answeredAt := time.Now()
	select {
	case <-callee.answered:
	case <-time.After(5 * time.Second):
		t.Fatal("the callee never answered")
	}
	if during != nil {
		during()
	}
	time.Sleep(time.Until(answeredAt.Add(hold)))
	caller.rtp.hush()
	byeAt = time.Now()
	annHangUp(t, d)
	time.Sleep(300 * time.Millisecond) // the last packets in flight
	caller.rtp.close()
	callee.rtp.close()
	return caller, callee, byeAt
}

func TestTheRecordingAnnouncementFileIsReadAgainOnReload(t *testing.T) {
	t.Parallel()
	requireTool(t, "sox")
	sw := startSwitch(t, switchOpts{MediaExtra: "  record_all: true"})
	notice := filepath.Join(sw.dir, "notice.wav") // 600 ms of 1 kHz: 30 packets
	if out, err := exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", notice,
		"synth", "0.6", "sine", "1000", "vol", "0.3").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	cfg, err := os.ReadFile(sw.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	announcing := func(file string) []byte {
		return bytes.Replace(cfg, []byte("  record_all: true"), []byte("  record_all: true\n  recording_announcement: "+file), 1)
	}

	// A file that is not there: check-config names it, with the line and
	// the field, and a reload is refused whole.
	bad := filepath.Join(sw.dir, "bad.yaml")
	if err := os.WriteFile(bad, announcing("missing.wav"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := cli(t, "check-config", bad)
	if code != 1 || !regexp.MustCompile(`bad\.yaml:\d+: media\.recording_announcement: .*missing\.wav: no such file`).MatchString(stderr) {
		t.Fatalf("check-config: exit %d\n%s", code, stderr)
	}
	if err := os.WriteFile(sw.cfgPath, announcing("missing.wav"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = sw.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the refusal", 5*time.Second, func() bool {
		return strings.Contains(sw.log.String(), "reload refused") && strings.Contains(sw.log.String(), "missing.wav")
	})

	// The file, relative to the config, is read on the next reload.
	sw.reload(t, func(string) string { return string(announcing("notice.wav")) })
	caller, callee, _ := annCall(t, sw, 2*time.Second, nil)
	for name, p := range map[string]*annMedia{"caller": caller.rtp, "callee": callee.rtp} {
		runs := p.runs(time.Now())
		if len(runs) != 2 || runs[0].packets != 30 || math.Abs(runs[0].frequency()-1000) > 30 {
			t.Fatalf("the %s heard %s, want the file's 30 packets of 1 kHz, then the other party", name, annPacketCounts(runs))
		}
	}
}

func annPacketCounts(runs []annRun) string {
	out := ""
	for _, r := range runs {
		out += strconv.Itoa(r.packets) + " "
	}
	return out
}
