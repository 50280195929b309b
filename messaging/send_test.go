package messaging

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestSendRules(t *testing.T) {
	tests := []struct {
		name string
		req  SendRequest
		rule string // "" when the text is queued
		sip  int
	}{
		{"a user with sms texts a US number from their SMS-enabled caller ID", SendRequest{User: "1001", To: usPeer, Body: "hi"}, "", 0},
		{"a US number may text Canada", SendRequest{User: "1001", To: caPeer, Body: "hi"}, "", 0},
		{"a number that is not E.164 is refused", SendRequest{User: "1001", To: "12125550123", Body: "hi"}, RuleDestination, 404},
		{"a user without sms is refused", SendRequest{User: "1002", To: usPeer, Body: "hi"}, RulePermissionSMS, 403},
		{"media without mms is refused", SendRequest{User: "1003", To: gbPeer, Body: "hi", MediaURLs: []string{"https://x.test/a.jpg"}}, RulePermissionMMS, 403},
		{"a user without an SMS-enabled caller ID is refused", SendRequest{User: "1004", To: usPeer, Body: "hi"}, RuleSMSNumber, 403},
		{"a number that is not SMS-enabled is refused", SendRequest{User: "1001", From: orgNoSMS, To: usPeer, Body: "hi"}, RuleSMSNumber, 403},
		{"a number that is not the user's is refused", SendRequest{User: "1001", From: orgGB, To: gbPeer, Body: "hi"}, RuleSMSNumber, 403},
		{"the organization must say which number", SendRequest{To: usPeer, Body: "hi"}, RuleSMSNumber, 403},
		{"the organization may use any SMS-enabled number", SendRequest{From: orgGB, To: gbPeer, Body: "hi"}, "", 0},
		{"a US number may not text the UK", SendRequest{User: "1001", To: gbPeer, Body: "hi"}, RuleCountries, 488},
		{"a UK number may not text France", SendRequest{User: "1003", To: frPeer, Body: "hi"}, RuleCountries, 488},
		{"a UK number texts the UK", SendRequest{User: "1003", To: gbPeer, Body: "hi"}, "", 0},
		{"MMS stays in the US and Canada", SendRequest{From: orgGB, To: gbPeer, Body: "hi", MediaURLs: []string{"https://x.test/a.jpg"}}, RuleCountries, 488},
		{"MMS to Canada goes", SendRequest{User: "1001", To: caPeer, MediaURLs: []string{"https://x.test/a.jpg"}}, "", 0},
		{"an empty text is refused", SendRequest{User: "1001", To: usPeer, Body: "  "}, RuleBody, 488},
		{"a text to nobody is refused", SendRequest{User: "1001", To: "nobody", Body: "hi"}, RuleDestination, 404},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			before := len(e.twilio.requests())
			m, _, err := e.svc.Send(context.Background(), tt.req)
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				e.waitFor(m.ID, charged)
				return
			}
			ref, ok := asRefusal(err)
			if !ok || ref.Rule != tt.rule || ref.SIPCode != tt.sip {
				t.Fatalf("error = %#v, want rule %s (SIP %d)", err, tt.rule, tt.sip)
			}
			if ref.HTTPStatus() != 403 && ref.HTTPStatus() != 422 && ref.HTTPStatus() != 402 && ref.HTTPStatus() != 503 {
				t.Errorf("HTTP %d", ref.HTTPStatus())
			}
			if len(e.twilio.requests()) != before {
				t.Error("a refused text reached Twilio")
			}
		})
	}
}

func TestOutboundTextIsChargedOncePerSegmentsTwilioReports(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		segments int
		charge   string // 0.0079 per US segment, rounded up per text
	}{
		{"a GSM-7 text of 160 characters is one segment", strings.Repeat("a", 160), 1, "0.01"},
		{"a GSM-7 text of 161 characters is two", strings.Repeat("a", 161), 2, "0.02"},
		{"a UCS-2 text of 70 characters is one segment", strings.Repeat("é", 35) + strings.Repeat("ж", 35), 1, "0.01"},
		{"a UCS-2 text of 71 characters is two", strings.Repeat("ж", 71), 2, "0.02"},
		{"emoji make a UCS-2 text of three segments", strings.Repeat("😀", 67), 3, "0.03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			m, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: tt.body, Source: SourceAPI})
			if err != nil {
				t.Fatal(err)
			}
			m = e.waitFor(m.ID, charged)
			reqs := e.twilio.requests()
			if len(reqs) != 1 || reqs[0].Get("From") != orgSMS || reqs[0].Get("To") != usPeer || reqs[0].Get("Body") != tt.body ||
				reqs[0].Get("StatusCallback") != testBase+StatusPath {
				t.Fatalf("twilio got %v", reqs)
			}
			if m.SID == "" || m.Segments != tt.segments || m.Charge == nil || !m.Charge.Equal(decimal.RequireFromString(tt.charge)) {
				t.Fatalf("text %+v, want %d segments charged %s", m, tt.segments, tt.charge)
			}
			ps := e.textPostings()
			if len(ps) != 1 || ps[0].ID != "text:"+m.SID || ps[0].User != "1001" {
				t.Fatalf("postings %+v", ps)
			}
			if got, want := e.balance(), decimal.RequireFromString("10").Sub(decimal.RequireFromString(tt.charge)).StringFixed(2); got != want {
				t.Errorf("balance %s, want %s", got, want)
			}
		})
	}
}

func TestCarrierRefusalCostsNothingAndTellsThePhone(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		optOut bool
	}{
		{"an invalid number (21211)", 21211, false},
		{"an unsubscribed recipient (21610) is remembered as opted out", 21610, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "1001")
			e.twilio.refuse[usPeer] = tt.code
			m, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: "hi", Source: SourcePhone, Key: "k"})
			if err != nil {
				t.Fatal(err)
			}
			m = e.waitFor(m.ID, func(m *Message) bool { return m.State == StateFailed })
			if m.ErrorCode != tt.code || m.Charged || m.SID != "" {
				t.Errorf("text %+v", m)
			}
			e.phones.waitDelivered(t, 1)
			got := e.phones.texts("1001")
			if len(got) != 1 || got[0].From != SystemSender || !strings.Contains(got[0].Body, usPeer) || !strings.Contains(got[0].Body, "21") {
				t.Errorf("phone got %+v", got)
			}
			if len(e.textPostings()) != 0 || e.balance() != "10.00" {
				t.Errorf("charged: %s", e.balance())
			}
			out, _ := e.store.OptedOut(orgSMS, usPeer)
			if out != tt.optOut {
				t.Errorf("opted out = %v", out)
			}
		})
	}
}

func TestCarrierOutageIsRetriedFromTheOutbox(t *testing.T) {
	e := newEnv(t)
	e.twilio.mu.Lock()
	e.twilio.fail500 = 1
	e.twilio.mu.Unlock()
	m, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	m = e.waitFor(m.ID, charged)
	if len(e.twilio.requests()) != 2 || m.Attempts != 2 || len(e.textPostings()) != 1 {
		t.Errorf("requests %d, attempts %d, postings %d", len(e.twilio.requests()), m.Attempts, len(e.textPostings()))
	}
}

func TestIdempotencyKeySendsOnce(t *testing.T) {
	e := newEnv(t)
	r := SendRequest{User: "1001", To: usPeer, Body: "hi", Key: "api:1001:k1"}
	first, created, err := e.svc.Send(context.Background(), r)
	if err != nil || !created {
		t.Fatal(err, created)
	}
	again, created, err := e.svc.Send(context.Background(), r)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("second send: %v %v %+v", err, created, again)
	}
	e.waitFor(first.ID, charged)
	if n := len(e.twilio.requests()); n != 1 {
		t.Errorf("twilio got %d requests", n)
	}
}

func TestInsufficientCreditIsRefusedBeforeTwilio(t *testing.T) {
	e := newEnv(t)
	e.cfg.Organization.StartingBalance = decimal.Zero
	if _, _, err := e.meter.Ledger().Adjust(context.Background(), "correction", "drain", decimal.RequireFromString("-9.995"), "", "test"); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: strings.Repeat("a", 161)})
	ref, ok := asRefusal(err)
	if !ok || ref.Rule != RuleCredit || ref.HTTPStatus() != 402 {
		t.Fatalf("error = %v", err)
	}
	if len(e.twilio.requests()) != 0 {
		t.Error("reached Twilio")
	}
}

func TestQueuedTextsAreCheckedForCreditWhenSent(t *testing.T) {
	e := newEnv(t, "1001")
	e.setRate(0.001) // the first goes now, the second waits
	first, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: "one", Source: SourcePhone})
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: "two", Source: SourcePhone, Key: "k2"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor(first.ID, charged)
	// The balance goes while the second waits.
	if _, _, err := e.meter.Ledger().Adjust(context.Background(), "correction", "drain", e.meter.Ledger().Balance("acme").Neg(), "", "test"); err != nil {
		t.Fatal(err)
	}
	e.setRate(1000)
	e.start(nil)
	m := e.waitFor(second.ID, func(m *Message) bool { return m.State == StateFailed })
	if m.SID != "" || m.Charged || len(e.twilio.requests()) != 1 || !strings.Contains(m.ErrorMessage, "insufficient credit") {
		t.Fatalf("text %+v, %d requests", m, len(e.twilio.requests()))
	}
	e.phones.waitDelivered(t, 1)
	// The same key again returns that text: nothing is sent twice.
	again, created, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: "two", Key: "k2"})
	if err != nil || created || again.ID != second.ID {
		t.Fatalf("replay: %v %v %+v", err, created, again)
	}
}
