package e2e

import (
	"context"
	bin "encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// Predictive campaigns end to end: sipp is the carrier
// (carrier_rtp_peer.xml) and the called parties' RTP is the test's own
// (rtpPeer), so the test hears what the switch plays to a lead, presses
// keys as the lead, and plays a machine's greeting or a person's hello.

// predictiveLead is one lead the carrier answers with the test's RTP
// socket: the number carries the socket's port (its last five digits).
type predictiveLead struct {
	phone string
	peer  *rtpPeer
}

// newPredictiveLead makes a lead that stays on for 16 s, or for 8 s when
// quick (unless the switch hangs up first).
func newPredictiveLead(t *testing.T, quick bool) predictiveLead {
	t.Helper()
	p := newRTPPeer(t)
	if p.port < 10000 {
		t.Skipf("RTP port %d has fewer than five digits", p.port)
	}
	stay := "5"
	if quick {
		stay = "1"
	}
	return predictiveLead{phone: fmt.Sprintf("+14155%s%05d", stay, p.port), peer: p}
}

// startRTPCarrier starts the carrier on the switch's trunk port and
// returns the directory where it notes each call's media ports.
func startRTPCarrier(t *testing.T, sw *switchProc) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	carrier := sippCmd(ctx, t, "-sf", scenario("carrier_rtp_peer.xml"), "-p", strconv.Itoa(sw.trunk), "-mi", "127.0.0.1", "-timeout", "60s")
	if err := carrier.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = carrier.Wait() }()
	time.Sleep(200 * time.Millisecond) // let it bind
	return carrier.Dir
}

// switchMediaFor waits for the carrier's note of the switch's RTP port on
// the lead's call and has the lead's peer send there.
func switchMediaFor(t *testing.T, carrierDir string, l predictiveLead) {
	t.Helper()
	var port int
	waitFor(t, "the switch's media port for "+l.phone, 10*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(carrierDir, "media.txt"))
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == fmt.Sprintf("%05d", l.peer.port) {
				port, _ = strconv.Atoi(f[1])
				return port > 0
			}
		}
		return false
	})
	l.peer.mu.Lock()
	l.peer.to = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	l.peer.mu.Unlock()
}

// speak sends samples as 20 ms PCMU packets in real time, then line noise
// until the test ends; it returns at once. at(i) tells when the packet
// holding sample i went out (zero before it did).
func speak(t *testing.T, p *rtpPeer, samples []int16) (at func(sample int) time.Time) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sent := make(chan time.Time, len(samples)/160+2)
	p.mu.Lock()
	to := p.to
	p.mu.Unlock()
	go func() {
		hdr := rtp.Header{Version: 2, PayloadType: ptPCMU, SSRC: p.ssrc, SequenceNumber: p.seq, Timestamp: p.ts}
		next := time.Now()
		for off := 0; ctx.Err() == nil; off += 160 {
			frame := lineNoise(160)
			if off < len(samples) {
				frame = samples[off:min(off+160, len(samples))]
			}
			payload := make([]byte, len(frame))
			for i, s := range frame {
				payload[i] = linearToULaw(s)
			}
			raw, _ := (&rtp.Packet{Header: hdr, Payload: payload}).Marshal()
			if _, err := p.conn.WriteToUDP(raw, to); err != nil {
				return // the test is over
			}
			if off < len(samples) {
				sent <- time.Now()
			}
			hdr.SequenceNumber++
			hdr.Timestamp += uint32(len(frame))
			next = next.Add(20 * time.Millisecond)
			time.Sleep(time.Until(next))
		}
	}()
	t.Cleanup(cancel)
	var times []time.Time
	return func(sample int) time.Time {
		for len(sent) > 0 {
			times = append(times, <-sent)
		}
		if i := sample / 160; i < len(times) {
			return times[i]
		}
		return time.Time{}
	}
}

// lineNoise is a quiet hiss, as a line carries between words.
func lineNoise(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(rand.IntN(61) - 30)
	}
	return out
}

// loud keeps the packets with audible sound (RMS over ~ -40 dBFS).
func loud(hs []heard) []heard {
	var out []heard
	for _, h := range hs {
		var sum float64
		for _, s := range h.samples {
			sum += float64(s) * float64(s)
		}
		if len(h.samples) > 0 && math.Sqrt(sum/float64(len(h.samples))) > 300 {
			out = append(out, h)
		}
	}
	return out
}

// espeak says text with espeak-ng, as 8 kHz 16-bit samples made by sox.
func espeak(t *testing.T, text string) []int16 {
	t.Helper()
	requireTool(t, "espeak-ng")
	requireTool(t, "sox")
	dir := t.TempDir()
	wav, raw := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "speech.raw")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "165", "-w", wav, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	if out, err := exec.Command("sox", wav, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", raw, "norm", "-3").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(bin.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

// beepLen is the machine's beep: 600 ms of 1 kHz.
const beepLen = 4800

// machineGreeting is a voicemail greeting (espeak-ng, 8–12 s) and its
// 1 kHz beep; beepAt is the beep's first sample.
func machineGreeting(t *testing.T) (samples []int16, beepAt int) {
	t.Helper()
	speech := espeak(t, "Hi, you have reached the voicemail of Dana Smith. I can't come to the phone right now. "+
		"Please leave your name, your number and a short message after the tone, and I will call you back.")
	if d := time.Duration(len(speech)) * time.Second / 8000; d < 8*time.Second || d > 12*time.Second {
		t.Fatalf("the greeting lasts %s, want 8–12 s", d)
	}
	samples = append(lineNoise(2400), speech...) // 300 ms before the greeting
	samples = append(samples, lineNoise(3200)...)
	beepAt = len(samples)
	samples = append(samples, tone(1000, beepLen*time.Second/8000)...)
	return samples, beepAt
}

// personHello is a person answering: "Hello?" and then waiting.
func personHello(t *testing.T) []int16 {
	t.Helper()
	return append(lineNoise(3200), espeak(t, "Hello?")...)
}

// createPredictive creates a predictive campaign with leads, has agents
// join it paused, and starts it once they are all ready.
func (s *switchProc) createPredictive(t *testing.T, extra string, agents []string, leads ...predictiveLead) string {
	t.Helper()
	code, body := s.api("POST", "/v1/campaigns", strings.NewReader(fmt.Sprintf(`{"name":"p","mode":"predictive",
		"caller_id":"+14155550100","agents":["%s"],"calling_hours":{"start":"00:00","end":"23:59"},
		"ring_timeout":"15s","wrap_up":"0s","max_attempts":1,"abandon_message":"sorry",%s}`, strings.Join(agents, `","`), extra)))
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	id := "cmp_1"
	var rows []string
	for _, l := range leads {
		rows = append(rows, fmt.Sprintf(`{"phone":%q,"timezone":"America/Los_Angeles"}`, l.phone))
	}
	if code, body := s.api("POST", "/v1/campaigns/"+id+"/leads", strings.NewReader("["+strings.Join(rows, ",")+"]")); code != 200 {
		t.Fatalf("leads: %d %s", code, body)
	}
	for _, action := range []string{"start", "pause"} {
		if code, body := s.api("POST", "/v1/campaigns/"+id+"/"+action, nil); code != 200 {
			t.Fatalf("%s: %d %s", action, code, body)
		}
	}
	for _, a := range agents {
		s.joinAgent(t, id, a)
	}
	waitFor(t, "the agents ready", 10*time.Second, func() bool {
		_, body := s.api("GET", "/v1/campaigns/"+id, nil)
		return strings.Count(string(body), `"state":"ready"`) == len(agents)
	})
	if code, body := s.api("POST", "/v1/campaigns/"+id+"/start", nil); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	return id
}

// finishedAttempts waits until n attempts have an outcome.
func (s *switchProc) finishedAttempts(t *testing.T, id string, n int, within time.Duration) []dialerAttempt {
	t.Helper()
	var as []dialerAttempt
	waitFor(t, fmt.Sprintf("%d finished attempts", n), within, func() bool {
		as = s.attempts(t, id)
		done := 0
		for _, a := range as {
			if a.Outcome != "" {
				done++
			}
		}
		return done == n
	})
	return as
}

// legDisposition is the CDR disposition of an attempt's lead leg: every
// outcome after an answer is an answered leg.
var legDisposition = map[string]string{"answered": "answered", "abandoned": "answered", "vm-left": "answered",
	"machine": "answered", "busy": "busy", "no-answer": "no-answer", "failed": "failed"}

// assertAttemptLegs checks every attempt's CDR: a pstn-outbound leg of
// reason dialer with the campaign, lead and attempt, whose disposition
// fits the outcome; answered legs are charged what the attempt says, the
// others nothing.
func (s *switchProc) assertAttemptLegs(t *testing.T, id string, as []dialerAttempt) {
	t.Helper()
	byLeg := map[string]dialerCDR{}
	waitFor(t, "the attempts' CDRs", 10*time.Second, func() bool {
		for _, c := range s.dialerCDRs(t) {
			byLeg[c.LegID] = c
		}
		for _, a := range as {
			if _, ok := byLeg[a.CDRLegID]; !ok {
				return false
			}
		}
		return true
	})
	for _, a := range as {
		c := byLeg[a.CDRLegID]
		if a.CDRLegID == "" || c.BillingClass != "pstn-outbound" || c.Reason != "dialer" || c.Disposition != legDisposition[a.Outcome] ||
			c.CampaignID != id || c.LeadID != a.LeadID || c.AttemptID != a.ID {
			t.Errorf("attempt %s (%s): CDR %+v", a.ID, a.Outcome, c)
		}
		charge := 0.0
		if c.Charge != nil {
			charge = amount(c.Charge.Amount)
		}
		if (charge > 0) != (c.Disposition == "answered") || amount(a.Charge) != charge {
			t.Errorf("attempt %s (%s) charged %q, its CDR %+v", a.ID, a.Outcome, a.Charge, c.Charge)
		}
	}
}

// Two persons answer a predictive campaign whose second agent left while
// they rang: one goes to the agent, the other finds nobody within 2 s and
// hears the abandon message; pressing 9 puts the number on the
// do-not-call list at once. Both legs are answered and charged.
func TestDialerPredictiveAbandonAndOptOut(t *testing.T) {
	// Not parallel: the outcome hangs on the 2 s abandon window against the leads' ringing.
	sw := startSwitch(t, switchOpts{})
	writeDialerMessage(t, sw, "sorry")
	startRTPCarrier(t, sw)
	sw.agentPhone(t, "1001", "alice-secret")
	sw.agentPhone(t, "1002", "bob-secret")
	leads := []predictiveLead{newPredictiveLead(t, true), newPredictiveLead(t, true)}
	id := sw.createPredictive(t, `"amd":"off"`, []string{"1001", "1002"}, leads...)
	if code, body := sw.api("DELETE", "/v1/campaigns/"+id+"/agents/1002", nil); code != 200 && code != 204 {
		t.Fatalf("leave: %d %s", code, body)
	}
	// The attempt shows its outcome once it ends: the lead who hears the
	// abandon message is the one abandoned.
	abandoned := -1
	waitFor(t, "the abandon message at a lead", 15*time.Second, func() bool {
		for i, l := range leads {
			if len(loud(l.peer.heardSince(time.Time{}))) >= 25 { // half of the 1 s message
				abandoned = i
				return true
			}
		}
		return false
	})
	connected := 1 - abandoned
	lead := leads[abandoned]
	if f := frequency(samplesOf(loud(lead.peer.heardSince(time.Time{})))); f < 420 || f > 460 {
		t.Errorf("the lead heard %d Hz, want the abandon message's 440 Hz", f)
	}
	lead.peer.pressKey('9')
	waitFor(t, "the number on the do-not-call list", 2*time.Second, func() bool {
		_, body := sw.api("GET", "/v1/dnc", nil)
		return strings.Contains(string(body), lead.phone)
	})
	if _, body := sw.api("GET", "/v1/dnc", nil); strings.Contains(string(body), leads[connected].phone) {
		t.Errorf("the connected lead is on the do-not-call list: %s", body)
	}

	as := sw.finishedAttempts(t, id, 2, 15*time.Second)
	a, other := as[abandoned], as[connected]
	if a.Outcome != "abandoned" || a.Reason != "opted-out" || a.Agent != "" {
		t.Errorf("the abandoned attempt: %+v", a)
	}
	if other.Outcome != "answered" || other.Agent != "1001" {
		t.Errorf("the connected attempt: %+v", other)
	}
	sw.assertAttemptLegs(t, id, as)
}

// amd drop: the machine (an espeak-ng greeting and a 1 kHz beep) gets the
// voicemail drop after its beep and no agent; the person who says
// "Hello?" goes to the agent. Both legs are answered and charged.
func TestDialerPredictiveAMDDropsVoicemail(t *testing.T) {
	// Not parallel: answering-machine detection listens to audio sent in real time.
	greeting, beepAt := machineGreeting(t)
	hello := personHello(t)
	sw := startSwitch(t, switchOpts{})
	writeDialerMessage(t, sw, "sorry")
	writeDialerMessage(t, sw, "drop")
	carrier := startRTPCarrier(t, sw)
	sw.agentPhone(t, "1001", "alice-secret")
	sw.agentPhone(t, "1002", "bob-secret")
	machine, person := newPredictiveLead(t, false), newPredictiveLead(t, true)
	id := sw.createPredictive(t, `"amd":"drop","voicemail_drop":"drop"`, []string{"1001", "1002"}, machine, person)

	switchMediaFor(t, carrier, machine)
	switchMediaFor(t, carrier, person)
	sentAt := speak(t, machine.peer, greeting)
	greetingStart := time.Now()
	speak(t, person.peer, hello)

	as := sw.finishedAttempts(t, id, 2, 30*time.Second)
	if as[0].Outcome != "vm-left" || as[0].Agent != "" {
		t.Errorf("the machine's attempt: %+v", as[0])
	}
	if as[1].Outcome != "answered" || as[1].Agent == "" {
		t.Errorf("the person's attempt: %+v", as[1])
	}
	beep, beepEnd := sentAt(beepAt), sentAt(beepAt+beepLen-1)
	if beepEnd.IsZero() {
		t.Fatal("the machine was hung up before its beep")
	}
	drop := loud(machine.peer.heardSince(time.Time{}))
	if len(drop) < 25 {
		t.Fatalf("the machine got %d packets of sound, want the 1 s voicemail drop", len(drop))
	}
	t.Logf("the beep went out at +%s, the drop arrived from +%s to +%s", beep.Sub(greetingStart), drop[0].at.Sub(greetingStart), drop[len(drop)-1].at.Sub(greetingStart))
	if drop[0].at.Before(beepEnd) {
		t.Errorf("the drop began %s before the beep's end", beepEnd.Sub(drop[0].at))
	}
	if f := frequency(samplesOf(drop)); f < 420 || f > 460 {
		t.Errorf("the machine got %d Hz, want the drop's 440 Hz", f)
	}
	sw.assertAttemptLegs(t, id, as)
}

// amd hangup: the machine is hung up (outcome machine) and no agent
// hears it; its leg is answered and charged.
func TestDialerPredictiveAMDHangsUpOnMachines(t *testing.T) {
	// Not parallel: answering-machine detection listens to audio sent in real time.
	greeting, _ := machineGreeting(t)
	sw := startSwitch(t, switchOpts{})
	writeDialerMessage(t, sw, "sorry")
	carrier := startRTPCarrier(t, sw)
	sw.agentPhone(t, "1001", "alice-secret")
	machine := newPredictiveLead(t, false)
	id := sw.createPredictive(t, `"amd":"hangup"`, []string{"1001"}, machine)
	switchMediaFor(t, carrier, machine)
	speak(t, machine.peer, greeting)

	as := sw.finishedAttempts(t, id, 1, 20*time.Second)
	if as[0].Outcome != "machine" || as[0].Agent != "" {
		t.Errorf("the machine's attempt: %+v", as[0])
	}
	if got := loud(machine.peer.heardSince(time.Time{})); len(got) > 0 {
		t.Errorf("the machine heard %d packets of sound", len(got))
	}
	sw.assertAttemptLegs(t, id, as)
}

// Leads who do not answer cost nothing: a busy number, one that does not
// exist and one that rings out (carrier_leads.xml) are attempts busy,
// failed (404) and no-answer, each with its unanswered, uncharged leg.
func TestDialerPredictiveUnansweredLeadsCostNothing(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	writeDialerMessage(t, sw, "sorry")
	startSipp(t, "-sf", scenario("carrier_leads.xml"), "-p", strconv.Itoa(sw.trunk), "-timeout", "60s")
	sw.agentPhone(t, "1001", "alice-secret")
	sw.agentPhone(t, "1002", "bob-secret")
	leads := []predictiveLead{{phone: leadBusy}, {phone: leadMissing}, {phone: leadRingOut}}
	id := sw.createPredictive(t, `"amd":"off"`, []string{"1001", "1002"}, leads...)
	as := sw.finishedAttempts(t, id, 3, 25*time.Second)
	for i, want := range []string{"busy", "failed", "no-answer"} {
		if as[i].Outcome != want || as[i].LeadID != fmt.Sprintf("%s_%d", id, i+1) || as[i].Agent != "" {
			t.Errorf("attempt %d: %+v, want %s", i, as[i], want)
		}
	}
	if as[1].SIPCode != 404 {
		t.Errorf("the missing number's attempt: %+v", as[1])
	}
	sw.assertAttemptLegs(t, id, as)
}
