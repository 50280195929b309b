package messaging

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// apiAs calls /v1/messages as user ("" for the organization).
func (e *env) apiAs(user, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	e.svc.APIRoutes(mux, func(*http.Request) (string, map[string]bool) { return user, nil })
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

func TestAPISend(t *testing.T) {
	tests := []struct {
		name string
		user string
		body string
		key  string
		code int
		rule string
	}{
		{"a user's token sends from the user's number", "1001", `{"to":"` + usPeer + `","body":"hi"}`, "k1", 201, ""},
		{"the same key returns the first text", "1001", `{"to":"` + usPeer + `","body":"hi"}`, "k1", 200, ""},
		{"no Idempotency-Key", "1001", `{"to":"` + usPeer + `","body":"hi"}`, "", 400, ""},
		{"a duplicate JSON key", "1001", `{"to":"` + usPeer + `","body":"hi","body":"x"}`, "k2", 400, ""},
		{"an unknown field", "1001", `{"to":"` + usPeer + `","text":"hi"}`, "k3", 400, ""},
		{"a country rule is 422 naming it", "1001", `{"to":"` + gbPeer + `","body":"hi"}`, "k4", 422, RuleCountries},
		{"MMS outside the US and Canada is 422", "", `{"from":"` + orgGB + `","to":"` + gbPeer + `","media_urls":["https://x.test/a.jpg"]}`, "k5", 422, RuleCountries},
		{"media without mms is 403", "1003", `{"to":"` + gbPeer + `","body":"x","media_urls":["https://x.test/a.jpg"]}`, "k6", 403, RulePermissionMMS},
		{"a media URL that is not http(s)", "1001", `{"to":"` + usPeer + `","media_urls":["file:///etc/passwd"]}`, "k7", 400, ""},
		{"the organization names the number", "", `{"from":"` + orgSMS + `","to":"` + caPeer + `","body":"hi"}`, "k8", 201, ""},
	}
	e := newEnv(t)
	var first string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.apiAs(tt.user, "POST", "/v1/messages", tt.body, "Idempotency-Key", tt.key)
			if w.Code != tt.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.code, w.Body)
			}
			var out map[string]any
			_ = json.Unmarshal(w.Body.Bytes(), &out)
			if tt.rule != "" && out["rule"] != tt.rule {
				t.Errorf("rule %v, want %s", out["rule"], tt.rule)
			}
			if w.Code == 201 && first == "" {
				first, _ = out["id"].(string)
				if out["state"] != "queued" {
					t.Errorf("state %v", out["state"])
				}
			}
			if tt.key == "k1" && w.Code == 200 && out["id"] != first {
				t.Errorf("id %v, want %s", out["id"], first)
			}
		})
	}
}

func TestAPIListsConversationsAUserSeesOnlyTheirs(t *testing.T) {
	e := newEnv(t, "1001", "1003")
	for i, b := range []struct{ user, body string }{{"1001", `{"to":"` + usPeer + `","body":"a"}`}, {"1003", `{"to":"` + gbPeer + `","body":"b"}`}} {
		if w := e.apiAs(b.user, "POST", "/v1/messages", b.body, "Idempotency-Key", string(rune('a'+i))); w.Code != 201 {
			t.Fatal(w.Code, w.Body)
		}
	}
	if w := e.signedWebhook(InboundPath, inboundForm("SMr", usPeer, orgSMS, "reply")); w.Code != 200 {
		t.Fatal(w.Code)
	}
	var out struct {
		Conversations []Conversation `json:"conversations"`
	}
	w := e.apiAs("", "GET", "/v1/messages", "")
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	if w.Code != 200 || len(out.Conversations) != 2 {
		t.Fatalf("org: %d %s", w.Code, w.Body)
	}
	w = e.apiAs("1001", "GET", "/v1/messages?peer="+strings.ReplaceAll(usPeer, "+", "%2B"), "")
	out.Conversations = nil
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	if len(out.Conversations) != 1 || len(out.Conversations[0].Messages) != 2 || out.Conversations[0].Number != orgSMS {
		t.Fatalf("1001: %s", w.Body)
	}
	if w := e.apiAs("1001", "GET", "/v1/messages?user=1003", ""); w.Code != 403 {
		t.Errorf("another user's texts: %d", w.Code)
	}
	id := out.Conversations[0].Messages[0].ID
	if w := e.apiAs("1003", "GET", "/v1/messages/"+id, ""); w.Code != 404 {
		t.Errorf("another user's text: %d", w.Code)
	}
	if w := e.apiAs("1001", "GET", "/v1/messages/"+id, ""); w.Code != 200 {
		t.Errorf("own text: %d", w.Code)
	}
}
