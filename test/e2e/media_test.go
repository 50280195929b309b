package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sippRTPCaller runs uac_auth_rtp.xml from a directory holding a 5 s
// 440 Hz tone (250 RTP packets).
func sippRTPCaller(t *testing.T, sw *switchProc, target string, holdMS int) sippResult {
	t.Helper()
	requireTool(t, "sox")
	cmd := sippCmd(context.Background(), t, sw.addr(), "-sf", scenario("uac_auth_rtp.xml"), "-s", target, "-key", "caller", "1001",
		"-au", "1001", "-ap", "alice-secret", "-d", strconv.Itoa(holdMS), "-m", "1", "-p", strconv.Itoa(freePort(t)), "-mi", "127.0.0.1")
	sox := exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-t", "ul", filepath.Join(cmd.Dir, "tone.ulaw"), "synth", "5", "sine", "440", "vol", "0.5")
	if out, err := sox.CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	out, err := cmd.CombinedOutput()
	res := sippResult{out: string(out), dir: cmd.Dir}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	}
	return res
}

func TestEveryRTPPacketCrossesTheRelay(t *testing.T) {
	// Not parallel: it counts every packet of a stream as long as the call's hold time.
	sw := startSwitch(t, switchOpts{})
	// The trunk echoes every RTP packet back, so both directions are counted.
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1", "-mi", "127.0.0.1", "-mp", strconv.Itoa(freePort(t)), "-rtp_echo")
	if res := sippRTPCaller(t, sw, "+14155550199", 5500); res.code != 0 {
		t.Fatalf("caller: %d\n%s", res.code, res.out)
	}
	_ = trunk()
	in, out := byDirection(t, sw.cdrs(2))
	if in.Media == nil || out.Media == nil {
		t.Fatalf("no media counters: %+v %+v", in, out)
	}
	// 5 s of 20 ms packets from the caller; all reach the trunk and come back.
	if in.Media.PacketsIn != 250 || out.Media.PacketsOut != 250 {
		t.Fatalf("caller sent %d packets, the trunk got %d; want 250", in.Media.PacketsIn, out.Media.PacketsOut)
	}
	if out.Media.PacketsIn != 250 || in.Media.PacketsOut != 250 {
		t.Fatalf("the trunk echoed %d packets, the caller got %d; want 250", out.Media.PacketsIn, in.Media.PacketsOut)
	}
	code, body := sw.api("GET", "/metrics", nil)
	if code != 200 || !regexp.MustCompile(`dialtone_rtp_packets_total\{side="caller"\} 250`).Match(body) {
		t.Fatalf("metrics:\n%s", grepLines(string(body), "dialtone_rtp"))
	}
}

func TestACallWithoutMediaIsHungUpAfterTheMediaTimeout(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{MediaExtra: "  timeout: 2s"})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	start := time.Now()
	// The caller would hold 15 s without sending any RTP.
	_ = sw.call(t, "1001", "alice-secret", "+14155550199", 15000)
	_ = trunk()
	if took := time.Since(start); took > 12*time.Second {
		t.Errorf("the call lasted %s", took)
	}
	in, out := byDirection(t, sw.cdrs(2))
	if in.Disposition != "media-timeout" || out.Disposition != "media-timeout" || in.BillableSecs > 5 {
		t.Fatalf("legs: %s %s %d s", in.Disposition, out.Disposition, in.BillableSecs)
	}
}

func TestMediaPortsReturnToThePool(t *testing.T) {
	t.Parallel()
	// Up to ten calls at once from alice: on a loaded machine they overlap
	// more than her default limit of four allows.
	sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1001": "    max_calls: 12"}})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "30")
	res := sipp(t, sw.addr(), "-sf", scenario("uac_auth.xml"), "-s", "+14155550199", "-key", "caller", "1001",
		"-au", "1001", "-ap", "alice-secret", "-d", "100", "-m", "30", "-r", "15", "-l", "10", "-p", strconv.Itoa(freePort(t)))
	if res.code != 0 {
		t.Fatalf("calls: %d\n%s", res.code, res.out)
	}
	_ = trunk()
	sw.cdrs(60)
	_, body := sw.api("GET", "/metrics", nil)
	if !strings.Contains(string(body), "dialtone_media_ports_in_use 0") || !strings.Contains(string(body), "dialtone_media_port_pairs 500") {
		t.Fatalf("the pool leaks:\n%s", grepLines(string(body), "dialtone_media"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestHoldIsAnsweredAndSuspendsTheMediaTimeout(t *testing.T) {
	t.Parallel()
	// The media timeout is 2 s and nobody sends RTP: on hold the call must
	// live on for the caller's 4 s.
	sw := startSwitch(t, switchOpts{MediaExtra: "  timeout: 2s"})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	res := sipp(t, sw.addr(), "-sf", scenario("uac_hold.xml"), "-s", "+14155550199", "-key", "caller", "1001",
		"-au", "1001", "-ap", "alice-secret", "-d", "4000", "-m", "1", "-p", strconv.Itoa(freePort(t)))
	if res.code != 0 {
		t.Fatalf("hold: sipp exit %d\n%s", res.code, res.out)
	}
	_ = trunk()
	in, _ := byDirection(t, sw.cdrs(2))
	if in.Disposition != "answered" || in.BillableSecs < 4 {
		t.Fatalf("a held call was cut: %s after %d s", in.Disposition, in.BillableSecs)
	}
}

func TestVoicemailTakesAMessageAndLightsTheLamp(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Voicemail: true})
	lamp := startSipp(t, sw.addr(), "-sf", scenario("subscribe_mwi.xml"), "-s", "1003", "-au", "1003", "-ap", "carol-secret",
		"-m", "1", "-p", strconv.Itoa(freePort(t)), "-timeout", "40s")
	// Carol is not registered: her voicemail answers, plays the greeting
	// and records alice's tone until alice hangs up at 6 s.
	if res := sippRTPCaller(t, sw, "1003", 6000); res.code != 0 {
		t.Fatalf("caller: %d\n%s", res.code, res.out)
	}
	if r := lamp(); r.code != 0 {
		t.Fatalf("message-waiting subscription: %d\n%s", r.code, r.out)
	}
	legs := sw.cdrs(1)
	if len(legs) != 1 || legs[0].Reason != "voicemail" || legs[0].Disposition != "answered" || legs[0].BillingClass != "client" || legs[0].BillableSecs < 5 {
		t.Fatalf("voicemail leg: %+v", legs)
	}
	code, body := sw.api("GET", "/v1/voicemail?user=carol", nil)
	var msgs []struct {
		ID      string  `json:"id"`
		From    string  `json:"from"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.Unmarshal(body, &msgs); err != nil || code != 200 || len(msgs) != 1 || msgs[0].From != "1001" || msgs[0].Seconds < 2 {
		t.Fatalf("GET /v1/voicemail: %d %s", code, body)
	}
	code, wav := sw.api("GET", "/v1/voicemail/1003/"+msgs[0].ID, nil)
	path := filepath.Join(t.TempDir(), "message.wav")
	if err := os.WriteFile(path, wav, 0o600); err != nil || code != 200 {
		t.Fatalf("GET message audio: %d", code)
	}
	if f := wavFrequency(t, path); f < 400 || f > 480 {
		t.Errorf("the message has %d Hz, want alice's 440 Hz tone", f)
	}
	// Carol dials her mailbox, hears the message and deletes it with 7.
	res := sipp(t, sw.addr(), "-sf", scenario("uac_mailbox.xml"), "-s", "*97", "-key", "caller", "1003",
		"-au", "1003", "-ap", "carol-secret", "-m", "1", "-p", strconv.Itoa(freePort(t)))
	if res.code != 0 {
		t.Fatalf("mailbox: %d\n%s", res.code, res.out)
	}
	if _, body := sw.api("GET", "/v1/voicemail?user=1003", nil); strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("after 7 the message must be gone: %s", body)
	}
	if code, _ := sw.api("DELETE", "/v1/voicemail/1003/"+msgs[0].ID, nil); code != 404 {
		t.Fatalf("DELETE of a deleted message: %d, want 404", code)
	}
}

func TestACallCanBeRecordedOnDemand(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1", "-mi", "127.0.0.1", "-mp", strconv.Itoa(freePort(t)), "-rtp_echo")
	caller := make(chan sippResult, 1)
	go func() { caller <- sippRTPCaller(t, sw, "+14155550199", 5000) }()
	var calls []struct {
		CallID string `json:"call_id"`
	}
	waitFor(t, "the call to be up", 10*time.Second, func() bool {
		_, body := sw.api("GET", "/v1/calls", nil)
		return json.Unmarshal(body, &calls) == nil && len(calls) == 1
	})
	if code, body := sw.api("POST", "/v1/calls/"+calls[0].CallID+"/recording", nil); code != 200 {
		t.Fatalf("start recording: %d %s", code, body)
	}
	if code, _ := sw.api("POST", "/v1/calls/no-such-call/recording", nil); code != 404 {
		t.Fatalf("recording a call that is not up: %d, want 404", code)
	}
	if r := <-caller; r.code != 0 {
		t.Fatalf("caller: %d\n%s", r.code, r.out)
	}
	_ = trunk()
	in, _ := byDirection(t, sw.cdrs(2))
	if in.Recording == nil || in.Recording.Seconds < 2 {
		t.Fatalf("recording on the caller's leg: %+v", in.Recording)
	}
	code, wav := sw.api("GET", "/v1/recordings/"+in.LegID, nil)
	path := filepath.Join(t.TempDir(), "call.wav")
	if err := os.WriteFile(path, wav, 0o600); err != nil || code != 200 {
		t.Fatalf("GET recording: %d", code)
	}
	// The caller's tone is on the left, and the trunk's echo of it on the right.
	for _, channel := range []string{"1", "2"} {
		if f := wavFrequency(t, path, "remix", channel); f < 400 || f > 480 {
			t.Errorf("channel %s: %d Hz, want 440", channel, f)
		}
	}
}

func TestRecordAllChangesOnReloadForCallsAnsweredAfterIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from, to bool // media.record_all before and after the reload
	}{
		{name: "turned on", from: false, to: true},
		{name: "turned off", from: true, to: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			setting := func(on bool) string { return "  record_all: " + strconv.FormatBool(on) }
			sw := startSwitch(t, switchOpts{MediaExtra: setting(tt.from)})
			trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "2")

			// A call answered before the reload and still up after it.
			before := make(chan sippResult, 1)
			go func() { before <- sw.call(t, "1001", "alice-secret", "+14155550199", 4000) }()
			var calls []struct {
				CallID string `json:"call_id"`
			}
			waitFor(t, "the first call to be up", 10*time.Second, func() bool {
				_, body := sw.api("GET", "/v1/calls", nil)
				return json.Unmarshal(body, &calls) == nil && len(calls) == 1
			})
			sw.reload(t, func(cfg string) string { return strings.Replace(cfg, setting(tt.from), setting(tt.to), 1) })
			if _, body := sw.api("GET", "/v1/calls", nil); !strings.Contains(string(body), calls[0].CallID) {
				t.Fatalf("the first call ended before the reload was applied: %s", body)
			}
			if res := sw.call(t, "1001", "alice-secret", "+14155550199", 1000); res.code != 0 {
				t.Fatalf("the call after the reload: sipp exit %d\n%s", res.code, res.out)
			}
			if res := <-before; res.code != 0 {
				t.Fatalf("the call across the reload: sipp exit %d\n%s", res.code, res.out)
			}
			mustSucceed(t, "trunk", trunk)

			legs := sw.cdrs(4)
			if len(legs) != 4 {
				t.Fatalf("CDRs: %v", legSummary(legs))
			}
			for _, l := range legs {
				want, when := tt.to, "answered after the reload"
				if l.CallID == calls[0].CallID {
					want, when = tt.from, "up across the reload"
				}
				if (l.Recording != nil) != want {
					t.Errorf("the %s leg of the call %s: recording %+v, want recorded %v", l.Direction, when, l.Recording, want)
				}
				if l.Recording != nil && !strings.HasPrefix(l.Recording.Path, "recordings/") {
					t.Errorf("recording path %q", l.Recording.Path)
				}
			}
		})
	}
}
