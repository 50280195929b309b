package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The carrier's test numbers (test/sipp/carrier_leads.xml): the outcome
// is in the last three digits.
const (
	leadMissing = "+14155550404" // 404
	leadBusy    = "+14155550486" // 486
	leadRingOut = "+14155550480" // rings until canceled
	leadStays   = "+14155550201" // answers, stays up until BYE
	leadHangs   = "+14155550200" // answers, hangs up after 1.5 s
)

// webhookSink collects the switch's webhook events.
type webhookSink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []map[string]any
}

func newWebhookSink(t *testing.T) *webhookSink {
	w := &webhookSink{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev map[string]any
		if json.Unmarshal(b, &ev) == nil {
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
		}
		rw.WriteHeader(200)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookSink) ofType(typ string) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	for _, ev := range w.events {
		if ev["type"] == typ {
			out = append(out, ev)
		}
	}
	return out
}

type dialerAttempt struct {
	ID       string `json:"id"`
	LeadID   string `json:"lead_id"`
	Agent    string `json:"agent"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason"`
	SIPCode  int    `json:"sip_code"`
	CDRLegID string `json:"cdr_leg_id"`
	Charge   string `json:"charge"`
}

func (s *switchProc) attempts(t *testing.T, campaign string) []dialerAttempt {
	t.Helper()
	code, body := s.api("GET", "/v1/campaigns/"+campaign+"/attempts", nil)
	if code != 200 {
		t.Fatalf("attempts: %d %s", code, body)
	}
	var out struct {
		Attempts []dialerAttempt `json:"attempts"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("attempts: %v %s", err, body)
	}
	return out.Attempts
}

// dialerCDR is a CDR with the dialer's fields.
type dialerCDR struct {
	LegID        string `json:"leg_id"`
	BillingClass string `json:"billing_class"`
	Reason       string `json:"reason"`
	To           string `json:"to"`
	User         string `json:"user"`
	Disposition  string `json:"disposition"`
	SIPCode      int    `json:"sip_code"`
	CampaignID   string `json:"campaign_id"`
	LeadID       string `json:"lead_id"`
	AttemptID    string `json:"attempt_id"`
	Charge       *struct {
		Amount string `json:"amount"`
	} `json:"charge"`
}

func (s *switchProc) dialerCDRs(t *testing.T) []dialerCDR {
	t.Helper()
	code, body := s.api("GET", "/v1/cdrs", nil)
	if code != 200 {
		t.Fatalf("cdrs: %d %s", code, body)
	}
	var out []dialerCDR
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var c dialerCDR
		if json.Unmarshal(sc.Bytes(), &c) == nil && c.LegID != "" {
			out = append(out, c)
		}
	}
	return out
}

func amount(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// newCampaign creates and starts a power campaign with leads in order.
func (s *switchProc) newCampaign(t *testing.T, agents []string, leads ...string) string {
	t.Helper()
	ag, _ := json.Marshal(agents)
	return s.campaignWith(t, fmt.Sprintf(`"agents":%s,"calling_hours":{"start":"00:00","end":"23:59"}`, ag), leads...)
}

// An agent dials *55 and the dialer works the list in order through the
// carrier: a number that does not exist, a busy one, one that answers
// and is hung up by the agent's ##, one that answers and hangs up. Every
// lead leg is a pstn-outbound CDR of reason dialer with its campaign,
// lead and attempt; answered ones are charged, the others cost nothing;
// the agent's session leg is free; each attempt reaches the CRM as an
// attempt.completed webhook with its CDR leg id and charge.
func TestDialerPowerAgentByStar55(t *testing.T) {
	t.Parallel()
	hooks := newWebhookSink(t)
	sw := startSwitch(t, switchOpts{Extra: "webhooks:\n  url: " + hooks.srv.URL + "\n  secret: e2e-webhook-secret-0123\n"})
	carrier := startSipp(t, "-sf", scenario("carrier_leads.xml"), "-p", strconv.Itoa(sw.trunk))
	_ = carrier
	id := sw.newCampaign(t, []string{"1002"}, leadMissing, leadBusy, leadStays, leadHangs)

	agent := sipp(t, sw.addr(), "-sf", scenario("agent_join.xml"), "-s", "*55", "-key", "caller", "1002",
		"-key", "rtp_port", strconv.Itoa(freePort(t)), "-key", "key", "#", "-d", "3000", "-au", "1002", "-ap", "bob-secret",
		"-m", "1", "-p", strconv.Itoa(freePort(t)))
	if agent.code != 0 {
		t.Fatalf("agent: sipp exit %d\n%s", agent.code, agent.out)
	}
	var as []dialerAttempt
	waitFor(t, "four finished attempts", 10*time.Second, func() bool {
		as = sw.attempts(t, id)
		done := 0
		for _, a := range as {
			if a.Outcome != "" {
				done++
			}
		}
		return done == 4
	})
	want := []struct {
		outcome string
		code    int
	}{{"failed", 404}, {"busy", 0}, {"answered", 0}, {"answered", 0}}
	for i, w := range want {
		a := as[i]
		if a.LeadID != fmt.Sprintf("%s_%d", id, i+1) || a.Outcome != w.outcome || (w.code != 0 && a.SIPCode != w.code) {
			t.Errorf("attempt %d: %+v, want lead %d %s", i, a, i+1, w.outcome)
		}
		if a.CDRLegID == "" {
			t.Errorf("attempt %d has no CDR leg id: %+v", i, a)
		}
	}
	for i, a := range as {
		if (amount(a.Charge) > 0) != (a.Outcome == "answered") {
			t.Errorf("attempt %d (%s) charged %q", i, a.Outcome, a.Charge)
		}
	}

	var cdrs []dialerCDR
	// The agent's CDR is written just after the switch answers its BYE.
	waitFor(t, "the agent's CDR", 10*time.Second, func() bool {
		cdrs = sw.dialerCDRs(t)
		for _, c := range cdrs {
			if c.To == "*55" {
				return true
			}
		}
		return false
	})
	byLeg := map[string]dialerCDR{}
	agentLegs := 0
	for _, c := range cdrs {
		byLeg[c.LegID] = c
		if c.Reason == "dialer" && c.User == "1002" && c.LeadID == "" {
			agentLegs++
			if c.BillingClass != "access" || (c.Charge != nil && amount(c.Charge.Amount) != 0) {
				t.Errorf("the agent's session leg is charged: %+v", c)
			}
		}
	}
	if agentLegs != 1 {
		t.Errorf("agent session legs: %d\n%+v", agentLegs, cdrs)
	}
	for i, a := range as {
		c, ok := byLeg[a.CDRLegID]
		if !ok {
			t.Errorf("attempt %d: no CDR %s", i, a.CDRLegID)
			continue
		}
		if c.BillingClass != "pstn-outbound" || c.Reason != "dialer" || c.CampaignID != id || c.LeadID != a.LeadID || c.AttemptID != a.ID {
			t.Errorf("attempt %d's CDR: %+v", i, c)
		}
		charged := c.Charge != nil && amount(c.Charge.Amount) > 0
		if charged != (a.Outcome == "answered") {
			t.Errorf("attempt %d (%s) charged %v: %+v", i, a.Outcome, charged, c.Charge)
		}
	}
	waitFor(t, "four attempt.completed webhooks", 15*time.Second, func() bool { return len(hooks.ofType("attempt.completed")) >= 4 })
	for _, ev := range hooks.ofType("attempt.completed") {
		if !strings.Contains(fmt.Sprint(ev["data"]), "cdr_leg_id") {
			t.Errorf("webhook without cdr_leg_id: %v", ev)
		}
	}
}

// agentPhone registers user with a phone that answers every call and
// stays on until the switch hangs up.
func (s *switchProc) agentPhone(t *testing.T, user, password string) {
	t.Helper()
	s.phone(t, user, password, "-sf", scenario("agent_answer.xml"), "-timeout", "60s")
}

func (s *switchProc) joinAgent(t *testing.T, campaign, user string) {
	t.Helper()
	if code, body := s.api("POST", "/v1/campaigns/"+campaign+"/agents/"+user, nil); code != 202 {
		t.Fatalf("join %s: %d %s", user, code, body)
	}
}

// Two agents joined through the API (the switch rings their phones) share
// the list: each lead is dialled once, by one agent, in list order.
func TestDialerTwoAgentsShareTheList(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	startSipp(t, "-sf", scenario("carrier_leads.xml"), "-p", strconv.Itoa(sw.trunk), "-timeout", "60s")
	sw.agentPhone(t, "1001", "alice-secret")
	sw.agentPhone(t, "1002", "bob-secret")
	leads := []string{"+14155551200", "+14155552486", "+14155553200", "+14155554200", "+14155555404", "+14155556200"}
	id := sw.newCampaign(t, []string{"1001", "1002"}, leads...)
	sw.joinAgent(t, id, "1001")
	sw.joinAgent(t, id, "1002")
	var as []dialerAttempt
	waitFor(t, "every lead dialled", 20*time.Second, func() bool {
		as = sw.attempts(t, id)
		done := 0
		for _, a := range as {
			if a.Outcome != "" {
				done++
			}
		}
		return done >= len(leads)
	})
	perLead := map[string]int{}
	perAgent := map[string]int{}
	for i, a := range as {
		perLead[a.LeadID]++
		perAgent[a.Agent]++
		if want := fmt.Sprintf("%s_%d", id, i+1); a.LeadID != want {
			t.Errorf("attempt %d is for %s, want %s (list order)", i, a.LeadID, want)
		}
	}
	for l, n := range perLead {
		if n != 1 {
			t.Errorf("lead %s dialled %d times", l, n)
		}
	}
	if len(perLead) != len(leads) || perAgent["1001"] == 0 || perAgent["1002"] == 0 {
		t.Errorf("leads %v, agents %v", perLead, perAgent)
	}
	code, body := sw.api("GET", "/v1/campaigns/"+id, nil)
	if code != 200 || !strings.Contains(string(body), `"remaining":0`) {
		t.Errorf("stats: %d %s", code, body)
	}
}

// A lead still ringing when the campaign is paused is canceled and
// dialled again on start. The switch dies while it rings again: after
// the restart that attempt is interrupted, the campaign still runs, and
// when the agent rejoins the lead is dialled once more, never twice at
// once.
func TestDialerPauseMidRingAndRestart(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	startSipp(t, "-sf", scenario("carrier_leads.xml"), "-p", strconv.Itoa(sw.trunk), "-timeout", "60s")
	// Registered without the cleanup that unregisters it: the switch it
	// would unregister from is the one killed.
	port := freePort(t)
	sw.register(t, "1002", "bob-secret", port)
	startSipp(t, "-sf", scenario("agent_answer.xml"), "-timeout", "60s", "-p", strconv.Itoa(port))
	id := sw.newCampaign(t, []string{"1002"}, leadRingOut, leadHangs)
	sw.joinAgent(t, id, "1002")
	inFlight := func(n int) func() bool {
		return func() bool {
			as := sw.attempts(t, id)
			return len(as) == n && as[n-1].Outcome == ""
		}
	}
	waitFor(t, "the first lead ringing", 10*time.Second, inFlight(1))
	if code, body := sw.api("POST", "/v1/campaigns/"+id+"/pause", nil); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	waitFor(t, "the ringing lead canceled", 10*time.Second, func() bool {
		as := sw.attempts(t, id)
		return len(as) == 1 && as[0].Outcome == "canceled"
	})
	if code, body := sw.api("POST", "/v1/campaigns/"+id+"/start", nil); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	waitFor(t, "the lead ringing again", 10*time.Second, inFlight(2))

	sw.kill()
	again := startSwitch(t, switchOpts{Data: sw.data, Ports: sw})
	as := again.attempts(t, id)
	if len(as) != 2 || as[1].Outcome != "interrupted" || as[1].LeadID != id+"_1" {
		t.Fatalf("after the restart: %+v", as)
	}
	code, body := again.api("GET", "/v1/campaigns/"+id, nil)
	if code != 200 || !strings.Contains(string(body), `"state":"running"`) {
		t.Fatalf("campaign after the restart: %d %s", code, body)
	}
	again.joinAgent(t, id, "1002")
	waitFor(t, "the lead dialled after the restart", 10*time.Second, func() bool {
		as := again.attempts(t, id)
		return len(as) == 3 && as[2].Outcome == "" && as[2].LeadID == id+"_1"
	})
	if code, body := again.api("DELETE", "/v1/campaigns/"+id+"/agents/1002", nil); code != 200 && code != 204 {
		t.Fatalf("leave: %d %s", code, body)
	}
	waitFor(t, "the last attempt canceled", 10*time.Second, func() bool {
		as := again.attempts(t, id)
		return len(as) == 3 && as[2].Outcome == "canceled"
	})
}

// The README's demo script adds a running campaign with its five leads.
func TestDemoCampaignScript(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	script, err := filepath.Abs("../../examples/demo_campaign.sh")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", script, fmt.Sprintf("http://127.0.0.1:%d", sw.httpPort), "test-token-123").CombinedOutput()
	if err != nil {
		t.Fatalf("demo_campaign.sh: %v\n%s", err, out)
	}
	code, body := sw.api("GET", "/v1/campaigns/cmp_1", nil)
	if code != 200 || !strings.Contains(string(body), `"state":"running"`) || !strings.Contains(string(body), `"total":5`) {
		t.Fatalf("the demo campaign: %d %s\n%s", code, body, out)
	}
}

// writeDialerMessage makes DATA/dialer/NAME.wav: a second of 440 Hz.
func writeDialerMessage(t *testing.T, sw *switchProc, name string) {
	t.Helper()
	requireTool(t, "sox")
	dir := filepath.Join(sw.data, "dialer")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
		filepath.Join(dir, name+".wav"), "synth", "1", "sine", "440", "vol", "0.5").CombinedOutput()
	if err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
}

// A predictive campaign dials for the campaign; the person who answers
// goes to the free agent. With two agents dialled for and one gone, the
// second person finds nobody within 2 s: the attempt is abandoned (the
// abandon message plays, then the switch hangs up) and counted.
func TestDialerPredictiveConnectsAndAbandons(t *testing.T) {
	// Not parallel: the outcome hangs on the 2 s abandon window against the leads' ringing.
	sw := startSwitch(t, switchOpts{})
	writeDialerMessage(t, sw, "sorry")
	startSipp(t, "-sf", scenario("carrier_leads.xml"), "-p", strconv.Itoa(sw.trunk), "-timeout", "60s")
	sw.agentPhone(t, "1001", "alice-secret")
	sw.agentPhone(t, "1002", "bob-secret")
	code, body := sw.api("POST", "/v1/campaigns", strings.NewReader(`{"name":"p","mode":"predictive",
		"caller_id":"+14155550100","agents":["1001","1002"],"calling_hours":{"start":"00:00","end":"23:59"},
		"ring_timeout":"15s","wrap_up":"0s","max_attempts":1,"abandon_message":"sorry","amd":"off"}`))
	if code != 201 || !strings.Contains(string(body), `"abandon_target":0.025`) {
		t.Fatalf("create: %d %s", code, body)
	}
	id := "cmp_1"
	leads := `[{"phone":"+14155551201","timezone":"America/Los_Angeles"},{"phone":"+14155552201","timezone":"America/Los_Angeles"}]`
	if code, body := sw.api("POST", "/v1/campaigns/"+id+"/leads", strings.NewReader(leads)); code != 200 {
		t.Fatalf("leads: %d %s", code, body)
	}
	// Agents join a paused campaign and wait there until it starts.
	for _, action := range []string{"start", "pause"} {
		if code, body := sw.api("POST", "/v1/campaigns/"+id+"/"+action, nil); code != 200 {
			t.Fatalf("%s: %d %s", action, code, body)
		}
	}
	sw.joinAgent(t, id, "1001")
	sw.joinAgent(t, id, "1002")
	waitFor(t, "both agents ready", 10*time.Second, func() bool {
		_, body := sw.api("GET", "/v1/campaigns/"+id, nil)
		return strings.Count(string(body), `"state":"ready"`) == 2
	})
	if code, body := sw.api("POST", "/v1/campaigns/"+id+"/start", nil); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	// Both leads ring (300 ms at the carrier); one agent leaves meanwhile.
	if code, body := sw.api("DELETE", "/v1/campaigns/"+id+"/agents/1002", nil); code != 200 && code != 204 {
		t.Fatalf("leave: %d %s", code, body)
	}
	var as []dialerAttempt
	waitFor(t, "one connected and one abandoned", 20*time.Second, func() bool {
		as = sw.attempts(t, id)
		return len(as) == 2 && (as[0].Outcome == "abandoned" || as[1].Outcome == "abandoned")
	})
	other := as[0]
	if other.Outcome == "abandoned" {
		other = as[1]
	}
	if other.Outcome != "" && other.Outcome != "answered" || other.Agent != "1001" {
		_, stats := sw.api("GET", "/v1/campaigns/"+id, nil)
		t.Errorf("the connected attempt: %+v\n%s", other, stats)
	}
	code, body = sw.api("GET", "/v1/campaigns/"+id+"/attempts", nil)
	if code != 200 || strings.Count(string(body), `"outcome":"abandoned"`) != 1 {
		t.Errorf("attempts: %s", body)
	}
}

// ** on a call takes the agent off it and leaves the campaign's message
// with the lead (vm-left), then the agent gets the next lead.
func TestDialerVoicemailDropByStarStar(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	writeDialerMessage(t, sw, "spring")
	startSipp(t, "-sf", scenario("carrier_leads.xml"), "-p", strconv.Itoa(sw.trunk), "-timeout", "60s")
	code, body := sw.api("POST", "/v1/campaigns", strings.NewReader(`{"name":"vm","caller_id":"+14155550100",
		"agents":["1002"],"calling_hours":{"start":"00:00","end":"23:59"},"wrap_up":"0s","voicemail_drop":"spring"}`))
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	leads := `[{"phone":"+14155550201","timezone":"America/Los_Angeles"},{"phone":"+14155553200","timezone":"America/Los_Angeles"}]`
	if code, body := sw.api("POST", "/v1/campaigns/cmp_1/leads", strings.NewReader(leads)); code != 200 {
		t.Fatalf("leads: %d %s", code, body)
	}
	if code, body := sw.api("POST", "/v1/campaigns/cmp_1/start", nil); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	agent := sipp(t, sw.addr(), "-sf", scenario("agent_join.xml"), "-s", "*551", "-key", "caller", "1002",
		"-key", "rtp_port", strconv.Itoa(freePort(t)), "-key", "key", "*", "-d", "2000", "-au", "1002", "-ap", "bob-secret",
		"-m", "1", "-p", strconv.Itoa(freePort(t)))
	if agent.code != 0 {
		t.Fatalf("agent: sipp exit %d\n%s", agent.code, agent.out)
	}
	var as []dialerAttempt
	waitFor(t, "both leads done", 15*time.Second, func() bool {
		as = sw.attempts(t, "cmp_1")
		return len(as) == 2 && as[0].Outcome != "" && as[1].Outcome != ""
	})
	if as[0].Outcome != "vm-left" || as[1].Outcome != "answered" {
		t.Fatalf("attempts %+v", as)
	}
}

// In power mode the agent hears the lead's early media (here a tone the
// carrier sends with its 183; the call never answers) on the agent's own
// line, until the agent skips the lead with ##.
func TestDialerAgentHearsTheLeadsEarlyMedia(t *testing.T) {
	t.Parallel()
	requireTool(t, "sox")
	sw := startSwitch(t, switchOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	carrier := sippCmd(ctx, t, "-sf", scenario("carrier_early_media.xml"), "-p", strconv.Itoa(sw.trunk), "-mi", "127.0.0.1",
		"-m", "1", "-timeout", "60s")
	sox := exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-t", "ul", filepath.Join(carrier.Dir, "tone.ulaw"), "synth", "5", "sine", "440", "vol", "0.5")
	if out, err := sox.CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	if err := carrier.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = carrier.Wait() }()
	id := sw.newCampaign(t, []string{"1002"}, "+14155550183")

	// The agent's RTP port: the test listens there for what the switch sends.
	rtpConn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rtpConn.Close()
	heard := make(chan int, 1)
	go func() {
		tone := 0
		buf := make([]byte, 1500)
		deadline := time.Now().Add(6 * time.Second)
		for time.Now().Before(deadline) {
			_ = rtpConn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, err := rtpConn.Read(buf)
			if err != nil || n <= 12 {
				continue
			}
			for _, b := range buf[12:n] { // past the RTP header: not PCMU silence (0xFF)
				if b != 0xFF && b != 0x7F {
					tone++
					break
				}
			}
		}
		heard <- tone
	}()
	agent := sipp(t, sw.addr(), "-sf", scenario("agent_join.xml"), "-s", "*55", "-key", "caller", "1002",
		"-key", "rtp_port", strconv.Itoa(rtpConn.LocalAddr().(*net.UDPAddr).Port), "-key", "key", "#", "-d", "3000",
		"-au", "1002", "-ap", "bob-secret", "-m", "1", "-p", strconv.Itoa(freePort(t)))
	if agent.code != 0 {
		t.Fatalf("agent: sipp exit %d\n%s", agent.code, agent.out)
	}
	if n := <-heard; n < 50 {
		t.Fatalf("the agent heard %d packets of the lead's early media, want most of 3 s (150)", n)
	}
	if as := sw.attempts(t, id); len(as) != 1 || as[0].Outcome != "canceled" || as[0].Reason != "agent-skipped" {
		t.Fatalf("attempts %+v", as)
	}
}
