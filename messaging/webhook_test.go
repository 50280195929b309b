package messaging

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func inboundForm(sid, from, to, body string, media ...string) url.Values {
	f := url.Values{"MessageSid": {sid}, "AccountSid": {testSID}, "From": {from}, "To": {to}, "Body": {body},
		"NumSegments": {"1"}, "NumMedia": {strconv.Itoa(len(media))}}
	for i, m := range media {
		f.Set("MediaUrl"+strconv.Itoa(i), m)
	}
	return f
}

func TestInboundWebhookSignature(t *testing.T) {
	form := inboundForm("SMin1", usPeer, orgSMS, "hello")
	tests := []struct {
		name string
		sig  string
		code int
	}{
		{"no signature", "", 403},
		{"a signature with another token", twilioSignature("othertoken", testBase+InboundPath, form), 403},
		{"a signature over another URL", twilioSignature(testToken, "https://evil.example.com"+InboundPath, form), 403},
		{"a signature over other fields", twilioSignature(testToken, testBase+InboundPath, inboundForm("SMin1", usPeer, orgSMS, "other")), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "1001")
			w := e.webhook(InboundPath, form, tt.sig)
			if w.Code != tt.code {
				t.Fatalf("status %d, want %d", w.Code, tt.code)
			}
			if msgs, _ := e.store.List(Filter{}); len(msgs) != 0 {
				t.Errorf("stored %d texts", len(msgs))
			}
			if len(e.textPostings()) != 0 {
				t.Error("charged")
			}
		})
	}
}

func TestInboundTextReachesTheOwnersPhonesAndIsChargedOnce(t *testing.T) {
	e := newEnv(t, "1001")
	form := inboundForm("SMin1", usPeer, orgSMS, "hello there")
	for range 2 { // Twilio retries a webhook: the replay changes nothing
		w := e.signedWebhook(InboundPath, form)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "<Response></Response>") {
			t.Fatalf("answer %d %q", w.Code, w.Body.String())
		}
	}
	e.phones.waitDelivered(t, 1)
	got := e.phones.texts("1001")
	if len(got) != 1 || got[0].From != usPeer || got[0].Body != "hello there" {
		t.Fatalf("phone got %+v", got)
	}
	msgs, _ := e.store.List(Filter{})
	if len(msgs) != 1 || msgs[0].Direction != Inbound || msgs[0].User != "1001" {
		t.Fatalf("stored %+v", msgs)
	}
	m := e.waitFor(msgs[0].ID, func(m *Message) bool { return m.State == StateDelivered })
	if !m.Charged || !m.Charge.Equal(decimal.RequireFromString("0.01")) {
		t.Errorf("charge %v", m.Charge)
	}
	if ps := e.textPostings(); len(ps) != 1 || ps[0].ID != "text:SMin1" {
		t.Errorf("postings %+v", ps)
	}
	if ev := e.events.states(m.ID); len(ev) != 1 || ev[0] != StateReceived {
		t.Errorf("CRM events %v, want one received", ev)
	}
}

func TestInboundMMSShowsMediaAsLinksAndGoesToTheGroup(t *testing.T) {
	e := newEnv(t, "1003", "1004")
	form := inboundForm("SMmms1", usPeer, orgGroup, "look", "https://media.example.com/a.jpg", "https://media.example.com/b.jpg")
	if w := e.signedWebhook(InboundPath, form); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	e.phones.waitDelivered(t, 2)
	for _, u := range []string{"1003", "1004"} {
		got := e.phones.texts(u)
		if len(got) != 1 || got[0].Body != "look\nhttps://media.example.com/a.jpg\nhttps://media.example.com/b.jpg" {
			t.Errorf("%s got %+v", u, got)
		}
	}
	msgs, _ := e.store.List(Filter{})
	if len(msgs) != 1 || msgs[0].Kind != "mms-in" || len(msgs[0].MediaURLs) != 2 {
		t.Fatalf("stored %+v", msgs)
	}
}

func TestInboundTheRulesRefuseIsNeitherDeliveredNorCharged(t *testing.T) {
	tests := []struct{ name, from, to string }{
		{"across countries", gbPeer, orgSMS},
		{"to a number that is not SMS-enabled", usPeer, orgNoSMS},
		{"to a number the organization does not have", usPeer, "+14155550199"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "1001")
			if w := e.signedWebhook(InboundPath, inboundForm(fmt.Sprint("SMx", i), tt.from, tt.to, "hi")); w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			msgs, _ := e.store.List(Filter{})
			if len(msgs) != 1 || msgs[0].State != StateFailed || len(msgs[0].Waiting) != 0 || len(e.textPostings()) != 0 {
				t.Fatalf("stored %+v", msgs)
			}
		})
	}
}

func TestOptOutWords(t *testing.T) {
	tests := []struct {
		body string
		out  bool
	}{
		{"STOP", true}, {" stop ", true}, {"StopAll", true}, {"UNSUBSCRIBE", true}, {"cancel", true}, {"END", true}, {"QUIT", true},
		{"please stop", false}, {"START", false}, {"yes", false}, {"UNSTOP", false},
	}
	e := newEnv(t)
	for i, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			e.t = t
			// Begin opted out when the word should lift it.
			_ = e.store.SetOptOut(orgSMS, usPeer, !tt.out && tt.body != "please stop")
			if w := e.signedWebhook(InboundPath, inboundForm("SMopt"+string(rune('a'+i)), usPeer, orgSMS, tt.body)); w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			out, _ := e.store.OptedOut(orgSMS, usPeer)
			if out != tt.out {
				t.Fatalf("opted out = %v, want %v", out, tt.out)
			}
			_, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: "offer"})
			ref, refused := asRefusal(err)
			if refused != tt.out || (refused && ref.Rule != RuleOptedOut) {
				t.Fatalf("send after %q: %v", tt.body, err)
			}
		})
	}
}

func TestStatusCallbacksMoveATextForwardOnly(t *testing.T) {
	e := newEnv(t)
	m, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	m = e.waitFor(m.ID, charged)
	status := func(s string, extra ...string) {
		t.Helper()
		f := url.Values{"MessageSid": {m.SID}, "MessageStatus": {s}, "AccountSid": {testSID}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		if w := e.signedWebhook(StatusPath, f); w.Code != 204 {
			t.Fatalf("status %s: %d", s, w.Code)
		}
	}
	if w := e.webhook(StatusPath, url.Values{"MessageSid": {m.SID}, "MessageStatus": {"failed"}}, "bad"); w.Code != 403 {
		t.Fatalf("unsigned status: %d", w.Code)
	}
	status("sending")
	status("sent")
	status("sent") // replayed
	status("undelivered", "ErrorCode", "30003", "ErrorMessage", "Unreachable destination handset")
	status("delivered") // late: final already
	status("sending")   // late
	got, _ := e.store.Get(m.ID)
	if got.State != StateUndelivered || got.ErrorCode != 30003 {
		t.Fatalf("text %+v", got)
	}
	want := []State{StateQueued, StateSending, StateSent, StateUndelivered}
	if states := e.events.states(m.ID); strings.Join(toStrings(states), ",") != strings.Join(toStrings(want), ",") {
		t.Errorf("events %v, want %v", states, want)
	}
	if ps := e.textPostings(); len(ps) != 1 {
		t.Errorf("%d postings: a status callback charged", len(ps))
	}
}

func toStrings(s []State) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}
