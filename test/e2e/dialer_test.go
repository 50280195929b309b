package e2e

import (
	"strings"
	"testing"
)

// The switch keeps campaigns and leads across restarts; a running
// campaign comes back running (it dials as agents join).
func TestCampaignsAreKeptAcrossRestarts(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	code, body := sw.api("POST", "/v1/campaigns",
		strings.NewReader(`{"name":"spring","caller_id":"+14155550100","agents":["1001","1002"]}`))
	if code != 201 || !strings.Contains(string(body), `"id":"cmp_1"`) {
		t.Fatalf("create: %d %s", code, body)
	}
	code, body = sw.api("POST", "/v1/campaigns/cmp_1/leads",
		strings.NewReader("phone,name,crm_id\n(415) 555-0123,Ann,c-1\nnope,Bob,c-2\n"), "Content-Type", "text/csv")
	if code != 200 || !strings.Contains(string(body), `"added":1`) || !strings.Contains(string(body), `"row":2`) {
		t.Fatalf("leads: %d %s", code, body)
	}
	if code, body = sw.api("POST", "/v1/campaigns/cmp_1/start", nil); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	if code, body = sw.api("GET", "/v1/openapi.json", nil); code != 200 || !strings.Contains(string(body), `"/v1/campaigns/{id}/leads"`) {
		t.Fatalf("openapi: %d %.200s", code, body)
	}
	sw.stop()
	again := startSwitch(t, switchOpts{Data: sw.data, Ports: sw})
	code, body = again.api("GET", "/v1/campaigns/cmp_1", nil)
	if code != 200 || !strings.Contains(string(body), `"total":1`) || !strings.Contains(string(body), `"state":"running"`) {
		t.Fatalf("after a restart: %d %s", code, body)
	}
}
