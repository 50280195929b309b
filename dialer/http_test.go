package dialer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type apiClient struct {
	t   *testing.T
	srv *httptest.Server
}

func newAPI(t *testing.T, d *Dialer) *apiClient {
	mux := http.NewServeMux()
	d.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &apiClient{t, srv}
}

func (c *apiClient) do(method, path, contentType, body string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: %d %s is not a JSON object", method, path, resp.StatusCode, raw)
		}
		if resp.Header.Get("Content-Type") != "application/json" {
			c.t.Errorf("%s %s: Content-Type %q", method, path, resp.Header.Get("Content-Type"))
		}
	}
	return resp.StatusCode, out
}

func TestCampaignAPI(t *testing.T) {
	h := newHarness(t)
	api := newAPI(t, h.d)

	refusals := []struct{ name, body, want string }{
		{"unknown caller ID", `{"name":"x","caller_id":"+12125559999","agents":["1001"]}`, "neither"},
		{"ring timeout under 15s", `{"name":"x","caller_id":"+12125550100","agents":["1001"],"ring_timeout":"10s"}`, "ring_timeout"},
		{"unknown agent", `{"name":"x","caller_id":"+12125550100","agents":["7777"]}`, "7777"},
		{"bad hours", `{"name":"x","caller_id":"+12125550100","agents":["1001"],"calling_hours":{"start":"21:00","end":"08:00"}}`, "calling_hours"},
		{"unknown field", `{"name":"x","caller_id":"+12125550100","agents":["1001"],"predictive":true}`, "predictive"},
		{"missing voicemail message", `{"name":"x","caller_id":"+12125550100","agents":["1001"],"voicemail_drop":"nope.wav"}`, "voicemail_drop"},
		{"other mode", `{"name":"x","mode":"preview","caller_id":"+12125550100","agents":["1001"]}`, "mode"},
		{"predictive without an abandon message", `{"name":"x","mode":"predictive","caller_id":"+12125550100","agents":["1001"]}`, "abandon_message"},
		{"abandon limit over 3 %", `{"name":"x","mode":"predictive","caller_id":"+12125550100","agents":["1001"],"abandon_message":"vm.wav","abandon_limit":0.05}`, "abandon_limit"},
		{"amd drop without a message", `{"name":"x","mode":"predictive","caller_id":"+12125550100","agents":["1001"],"abandon_message":"vm.wav","amd":"drop"}`, "voicemail_drop"},
		{"predictive settings on power", `{"name":"x","caller_id":"+12125550100","agents":["1001"],"amd":"hangup"}`, "predictive"},
	}
	for _, r := range refusals {
		code, out := api.do("POST", "/v1/campaigns", "application/json", r.body)
		if code != http.StatusBadRequest || !strings.Contains(out["error"].(string), r.want) {
			t.Errorf("%s: %d %v", r.name, code, out)
		}
	}

	code, c := api.do("POST", "/v1/campaigns", "application/json",
		`{"name":"spring","mode":"power","caller_id":"+1 212 555 0100","agents":["1001","1002"],"max_attempts":2}`)
	if code != http.StatusCreated || c["caller_id"] != callerID || c["ring_timeout"] != "25s" || c["wrap_up"] != "20s" ||
		c["retry_after"] != "1h0m0s" || c["state"] != "draft" || c["number"] != "1" {
		t.Fatalf("create: %d %v", code, c)
	}
	id := c["id"].(string)

	code, res := api.do("POST", "/v1/campaigns/"+id+"/leads", "text/csv",
		"phone,name,crm_id,region\n2125551001,Ann,c1,north\nbogus,Bob,c2,south\n+12125551002,Cy,c3,\n")
	if code != http.StatusOK || res["added"].(float64) != 2 {
		t.Fatalf("leads: %d %v", code, res)
	}
	errs := res["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["row"].(float64) != 2 {
		t.Fatalf("row errors %v", errs)
	}
	if leads := res["leads"].([]any); len(leads) != 2 || leads[1].(map[string]any)["row"].(float64) != 3 {
		t.Fatalf("rows taken %v", leads)
	}

	if code, _ := api.do("POST", "/v1/dnc", "application/json", `["+12125551001"]`); code != http.StatusOK {
		t.Fatalf("dnc: %d", code)
	}
	if code, out := api.do("GET", "/v1/dnc", "", ""); code != http.StatusOK || len(out["numbers"].([]any)) != 1 {
		t.Fatalf("dnc list: %d %v", code, out)
	}

	if code, out := api.do("POST", "/v1/campaigns/"+id+"/start", "", ""); code != http.StatusOK || out["state"] != "running" {
		t.Fatalf("start: %d %v", code, out)
	}
	if code, out := api.do("POST", "/v1/campaigns/"+id+"/agents/1001", "", ""); code != http.StatusAccepted || out["state"] != AgentJoining {
		t.Fatalf("join: %d %v", code, out)
	}
	if code, out := api.do("POST", "/v1/campaigns/"+id+"/agents/1003", "", ""); code != http.StatusForbidden {
		t.Fatalf("join of a user who is not an agent: %d %v", code, out)
	}
	agentLeg := h.eng.placed[0].Leg
	h.event(EventAnswered, agentLeg, "", 0)
	dial := h.lastDial("1001")
	if dial.To != "+12125551002" {
		t.Fatalf("dialled %s", dial.To)
	}

	code, st := api.do("GET", "/v1/campaigns/"+id, "", "")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	leads := st["leads"].(map[string]any)
	if leads["total"].(float64) != 2 || leads["blocked"].(float64) != 1 || leads["remaining"].(float64) != 1 {
		t.Fatalf("stats leads %v", leads)
	}
	if roster := st["roster"].([]any); len(roster) != 2 || roster[0] != "1001" {
		t.Fatalf("roster %v", roster)
	}
	agents := st["agents"].([]any)
	if len(agents) != 1 || agents[0].(map[string]any)["state"] != AgentDialing {
		t.Fatalf("stats agents %v", agents)
	}
	if code, out := api.do("GET", "/v1/campaigns/"+id+"/leads?state=blocked", "", ""); code != http.StatusOK ||
		len(out["leads"].([]any)) != 1 || out["leads"].([]any)[0].(map[string]any)["reason"] != ReasonDNC {
		t.Fatalf("blocked leads: %d %v", code, out)
	}
	if code, _ := api.do("GET", "/v1/campaigns/"+id+"/leads?state=weird", "", ""); code != http.StatusBadRequest {
		t.Fatalf("bad state filter: %d", code)
	}
	if code, _ := api.do("POST", "/v1/campaigns/"+id+"/agents/1001/pause", "", ""); code != http.StatusConflict {
		t.Fatalf("pause while dialing: %d", code)
	}
	if code, _ := api.do("DELETE", "/v1/campaigns/"+id, "", ""); code != http.StatusConflict {
		t.Fatalf("delete of a running campaign: %d", code)
	}
	if code, out := api.do("POST", "/v1/campaigns/"+id+"/stop", "", ""); code != http.StatusOK || out["state"] != "stopped" {
		t.Fatalf("stop: %d %v", code, out)
	}
	h.ended(dial.Leg, "canceled", 487)
	h.ended(agentLeg, "answered", 200)
	if code, _ := api.do("POST", "/v1/campaigns/"+id+"/start", "", ""); code != http.StatusConflict {
		t.Fatalf("start of a stopped campaign: %d", code)
	}
	if code, _ := api.do("DELETE", "/v1/campaigns/"+id, "", ""); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := api.do("GET", "/v1/campaigns/"+id, "", ""); code != http.StatusNotFound {
		t.Fatalf("deleted campaign: %d", code)
	}
	if code, _ := api.do("DELETE", "/v1/dnc/+12125551001", "", ""); code != http.StatusNoContent {
		t.Fatalf("dnc delete: %d", code)
	}
	if code, _ := api.do("DELETE", "/v1/dnc/+12125551001", "", ""); code != http.StatusNotFound {
		t.Fatalf("dnc delete again: %d", code)
	}
	h.start()
	if cs := h.d.Campaigns(); len(cs) != 0 {
		t.Fatalf("deleted campaign back after a restart: %v", cs)
	}
}

func TestAPIWithoutEngine(t *testing.T) {
	h := newHarness(t)
	d, err := New(Options{Store: h.store, Directory: h.dir, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	api := newAPI(t, d)
	code, c := api.do("POST", "/v1/campaigns", "", `{"name":"x","caller_id":"+12125550100","agents":["1001"]}`)
	if code != http.StatusCreated {
		t.Fatal(code, c)
	}
	id := c["id"].(string)
	if code, _ := api.do("POST", "/v1/campaigns/"+id+"/leads", "", `[{"phone":"+12125551001"}]`); code != http.StatusOK {
		t.Fatal(code)
	}
	if code, out := api.do("POST", "/v1/campaigns/"+id+"/start", "", ""); code != http.StatusServiceUnavailable {
		t.Fatalf("start without an engine: %d %v", code, out)
	}
}

// Each kind of error answers with its status; an overloaded switch also
// says when to try again.
func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		err        error
		code       int
		retryAfter string
	}{
		{fmt.Errorf("%w: bad phone", ErrInvalid), http.StatusBadRequest, ""},
		{fmt.Errorf("ring agent 1001: %w", ErrRefused), http.StatusForbidden, ""},
		{fmt.Errorf("ring agent 1001: %w", ErrNoCredit), http.StatusPaymentRequired, ""},
		{fmt.Errorf("ring agent 1001: originate: %w", ErrOverloaded), http.StatusServiceUnavailable, "1"},
		{ErrNoEngine, http.StatusServiceUnavailable, ""},
		{errors.New("disk on fire"), http.StatusInternalServerError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, tt.err)
			if w.Code != tt.code || w.Header().Get("Retry-After") != tt.retryAfter {
				t.Errorf("status %d, Retry-After %q; want %d, %q", w.Code, w.Header().Get("Retry-After"), tt.code, tt.retryAfter)
			}
		})
	}
}
