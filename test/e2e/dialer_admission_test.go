package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The dialers' calls meet the switch's setup limit (sip.max_setup_calls)
// as a phone's INVITE does. The only place is held by a phone's call to a
// phone that takes the INVITE and never answers it (in setup until the
// ring timeout): an agent joining through the API is then told 503, and a
// lead's call is not dialled (interrupted attempts, which do not count);
// once the place is free again the campaign dials that lead, once.
func TestDialerMeetsTheSetupLimit(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{SIPExtra: "  max_setup_calls: 1\n"})
	startSipp(t, "-sf", scenario("carrier_leads.xml"), "-p", strconv.Itoa(sw.trunk), "-timeout", "60s")
	sw.agentPhone(t, "1002", "bob-secret")
	silent := freePort(t)
	sw.registerFor(t, "1003", "carol-secret", silent)
	pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", silent))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() { // 1003's phone: reads everything, answers nothing
		buf := make([]byte, 65536)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	settingUp := func(n float64) {
		t.Helper()
		sw.waitMetric("dialtone_calls_setting_up", func(v float64) bool { return v == n })
	}
	holdThePlace := func() {
		t.Helper()
		startSipp(t, sw.addr(), "-sf", scenario("uac_auth.xml"), "-s", "1003", "-key", "caller", "1001",
			"-au", "1001", "-ap", "alice-secret", "-m", "1", "-p", strconv.Itoa(freePort(t)), "-timeout", "30s")
		settingUp(1)
	}

	id := sw.newCampaign(t, []string{"1002"}, leadBusy)
	holdThePlace()
	res, body := sw.apiResponse("POST", "/v1/campaigns/"+id+"/agents/1002", nil)
	if res.StatusCode != 503 || res.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), "too many calls") {
		t.Fatalf("an agent joining with no place free: %d (Retry-After %q) %s, want 503, Retry-After 1 (too many calls)",
			res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	settingUp(0) // the held call rang out

	// The agent joins while the campaign is paused, then the place is
	// taken again and the campaign started: its lead is turned away.
	if code, body := sw.api("POST", "/v1/campaigns/"+id+"/pause", nil); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	sw.joinAgent(t, id, "1002")
	waitFor(t, "the agent ready", 10*time.Second, func() bool {
		_, body := sw.api("GET", "/v1/campaigns/"+id, nil)
		return strings.Contains(string(body), `"state":"ready"`)
	})
	holdThePlace()
	if code, body := sw.api("POST", "/v1/campaigns/"+id+"/start", nil); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	var as []dialerAttempt
	waitFor(t, "the lead dialled once the place is free", 20*time.Second, func() bool {
		as = sw.attempts(t, id)
		return len(as) > 0 && as[len(as)-1].Outcome == "busy"
	})
	interrupted := 0
	for _, a := range as[:len(as)-1] {
		if a.Outcome != "interrupted" || !strings.Contains(a.Reason, "too many calls") {
			t.Errorf("attempt before the place was free: %+v, want interrupted for the setup limit", a)
		}
		interrupted++
	}
	if interrupted == 0 {
		t.Errorf("attempts %+v: the lead was dialled while the only place was held", as)
	}
	_, body = sw.api("GET", "/v1/campaigns/"+id+"/leads", nil)
	var leads struct {
		Leads []struct {
			Attempts int    `json:"attempts"`
			State    string `json:"state"`
		} `json:"leads"`
	}
	if err := json.Unmarshal(body, &leads); err != nil || len(leads.Leads) != 1 || leads.Leads[0].Attempts != 1 {
		t.Errorf("leads %s (%v): want one lead with one attempt counted", body, err)
	}
	if n := sw.metric("dialtone_overload_refused_total"); n < float64(1+interrupted) {
		t.Errorf("refusals counted %v, want at least %d", n, 1+interrupted)
	}
}
