package sip

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// sipSettings are the reloadable sip: settings a test config sets.
type sipSettings struct {
	ringTimeout, maxCall, vmMaxLength, vmSilence, registerMax string
	recall, vmDefault                                         bool
	forwardCallerID, vmExtension, greeting                    string
}

func settingsConfig(t *testing.T, s sipSettings, path string) *config.Config {
	t.Helper()
	yaml := fmt.Sprintf(`
sip:
  ring_timeout: %s
  max_call_duration: %s
  transfer_recall: %t
  voicemail_default: %t
  forward_caller_id: %s
  voicemail_extension: %q
  voicemail_max_length: %s
  voicemail_silence: %s
  register_max_expires: %s
roles:
  - name: agent
    permissions: [calls.inbound, calls.outbound]
users:
  - extension: "1001"
    password: alice-secret
    role: agent
    voicemail_greeting: %s
organization:
  id: test
trunks:
  - name: carrier
    address: 127.0.0.1:5080
`, s.ringTimeout, s.maxCall, s.recall, s.vmDefault, s.forwardCallerID, s.vmExtension, s.vmMaxLength, s.vmSilence, s.registerMax, s.greeting)
	cfg, err := config.Parse([]byte(yaml), path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startedCall is a call as handleInvite starts it, from 1002 to 1001.
func startedCall(sw *Switch) *calls.Call {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1001", Host: "example.test"})
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "example.test"}, Params: sip.NewParams()})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "example.test"}, Params: sip.NewParams()})
	callID := sip.CallIDHeader("settings-test")
	req.AppendHeader(&callID)
	in := &inboundLeg{req: req}
	return calls.NewIncomingCall(sw.CallHost(), in, originOf(req), &route{}, sw.directory().Settings, sw.log)
}

func TestSIPSettingsFollowAReloadForCallsStartedAfterIt(t *testing.T) {
	before := sipSettings{ringTimeout: "20s", maxCall: "1h", vmMaxLength: "2m", vmSilence: "5s", registerMax: "1h",
		recall: true, vmDefault: true, forwardCallerID: config.ForwardCalledNumber, vmExtension: "*97", greeting: "a.wav"}
	after := sipSettings{ringTimeout: "2s", maxCall: "10m", vmMaxLength: "30s", vmSilence: "2s", registerMax: "5m",
		recall: false, vmDefault: false, forwardCallerID: config.ForwardOriginalCaller, vmExtension: "*98", greeting: "b.wav"}
	dir := t.TempDir()
	start := settingsConfig(t, before, filepath.Join(dir, "start.yaml"))
	sw, err := New(start, Options{CDRs: discardCDRs{}, Organization: organizationOf(t, start), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	up := startedCall(sw)
	reloadSwitch(t, sw, settingsConfig(t, after, filepath.Join(dir, "conf", "reloaded.yaml")))
	next := startedCall(sw)

	type view struct {
		ring, maxCall     time.Duration
		recall, vmDefault bool
		forwardCallerID   string
	}
	viewOf := func(c *calls.Call) view {
		s := c.Settings()
		return view{(&orgdir.Hop{}).RingTimeout(s.RingTimeout), s.MaxCallDuration, s.TransferRecall, s.VoicemailDefault, s.ForwardCallerID}
	}
	if got, want := viewOf(up), (view{20 * time.Second, time.Hour, true, true, config.ForwardCalledNumber}); got != want {
		t.Errorf("call up during the reload: %+v, want the settings it started with %+v", got, want)
	}
	if got, want := viewOf(next), (view{2 * time.Second, 10 * time.Minute, false, false, config.ForwardOriginalCaller}); got != want {
		t.Errorf("call started after the reload: %+v, want the reloaded settings %+v", got, want)
	}
	// The call up keeps its own limit: cut off at its old maximum, it
	// ended at max_call_duration, not for lack of credit.
	if got := up.CutoffDisposition(time.Hour); got != billing.Answered {
		t.Errorf("call up during the reload cut off at its max_call_duration: %s, want %s", got, billing.Answered)
	}
	if set := sw.directory().Settings; set.VoicemailMaxLength != 30*time.Second || set.VoicemailSilence != 2*time.Second {
		t.Errorf("voicemail limits after the reload: %v, %v; want 30s, 2s", set.VoicemailMaxLength, set.VoicemailSilence)
	}
	if got, want := sw.directory().User("1001").Greeting, filepath.Join(dir, "conf", "b.wav"); got != want {
		t.Errorf("greeting after the reload: %q, want %q", got, want)
	}
	if got := sw.directory().settings.voicemailExtension; got != "*98" {
		t.Errorf("voicemail extension after the reload: %q, want *98", got)
	}
	if got := sw.directory().settings.registerMaxExpires; got != 5*time.Minute {
		t.Errorf("register_max_expires after the reload: %v, want 5m", got)
	}
}
