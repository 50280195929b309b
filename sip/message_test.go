package sip

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/config"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

const messageConfig = `organization:
  id: acme
sip:
  domain: 127.0.0.1
  udp: 127.0.0.1:0
  tcp: ""
roles:
  - name: agent
    permissions: [sms]
users:
  - extension: "1001"
    name: alice
    password: alice-secret
    role: agent
    caller_ids: ["+14155550100"]
  - extension: "1002"
    name: bob
    password: bob-secret
    role: agent
trunks:
  - name: carrier
    address: 127.0.0.1:5080
`

// fakeTexts is a MessageHandler that records and answers as told.
type fakeTexts struct {
	mu         sync.Mutex
	got        []PhoneText
	answer     TextResult
	registered chan string
}

func (f *fakeTexts) FromPhone(_ context.Context, t PhoneText) TextResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, t)
	return f.answer
}

func (f *fakeTexts) PhoneRegistered(user string) { f.registered <- user }

func startMessageSwitch(t *testing.T) (*Switch, *fakeTexts) {
	t.Helper()
	cfg, err := config.Parse([]byte(messageConfig), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sw, err := New(cfg, Options{Organization: organizationOf(t, cfg), CDRs: discardCDRs{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeTexts{answer: TextResult{Code: 202}, registered: make(chan string, 4)}
	sw.SetMessageHandler(h)
	if err := sw.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sw.Shutdown(context.Background()) })
	return sw, h
}

// testPhone is a sipgo UA on its own UDP port: it sends requests and
// takes MESSAGEs with 200.
type testPhone struct {
	cli  *sipgo.Client
	port int
	got  chan *sip.Request
}

func newTestPhone(t *testing.T) *testPhone {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ua, _ := sipgo.NewUA()
	srv, _ := sipgo.NewServer(ua)
	port := pc.LocalAddr().(*net.UDPAddr).Port
	cli, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port))
	p := &testPhone{cli: cli, port: port, got: make(chan *sip.Request, 4)}
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		p.got <- req
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go func() { _ = srv.ServeUDP(pc) }()
	t.Cleanup(func() { pc.Close(); ua.Close() })
	return p
}

func (p *testPhone) do(t *testing.T, req *sip.Request, user, password string) *sip.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if (res.StatusCode == 401 || res.StatusCode == 407) && password != "" {
		if res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func switchURI(sw *Switch, user string) sip.Uri {
	host, port, _ := net.SplitHostPort(sw.Addr("udp"))
	p, _ := strconv.Atoi(port)
	return sip.Uri{Scheme: "sip", User: user, Host: host, Port: p}
}

func textRequest(sw *Switch, from, to, contentType, body string) *sip.Request {
	req := sip.NewRequest(sip.MESSAGE, switchURI(sw, to))
	f := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: "127.0.0.1"}, Params: sip.NewParams()}
	f.Params.Add("tag", "t1")
	req.AppendHeader(f)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to, Host: "127.0.0.1"}})
	ct := sip.ContentTypeHeader(contentType)
	req.AppendHeader(&ct)
	req.SetBody([]byte(body))
	return req
}

func TestPhonesMessageIsAuthenticatedAndHandedOver(t *testing.T) {
	sw, h := startMessageSwitch(t)
	phone := newTestPhone(t)
	tests := []struct {
		name        string
		from        string
		user, pass  string
		contentType string
		answer      TextResult
		code        int
		reason      string
	}{
		{name: "no credentials are challenged like an INVITE", from: "1001", contentType: "text/plain", code: 407},
		{name: "a wrong password is refused", from: "1001", user: "1001", pass: "nope", contentType: "text/plain", code: 403},
		{name: "credentials of another user than the From are refused", from: "1002", user: "1001", pass: "alice-secret", contentType: "text/plain", code: 403},
		{name: "an authenticated text is accepted", from: "1001", user: "1001", pass: "alice-secret", contentType: "text/plain;charset=UTF-8", answer: TextResult{Code: 202}, code: 202},
		{name: "a refusal carries its reason", from: "1001", user: "1001", pass: "alice-secret", contentType: "text/plain",
			answer: TextResult{Code: 488, Reason: "texts between US and GB numbers are not supported"}, code: 488,
			reason: `SIP;cause=488;text="texts between US and GB numbers are not supported"`},
		{name: "a From with one of the user's caller IDs picks the number", from: "+14155550100", user: "1001", pass: "alice-secret", contentType: "text/plain", answer: TextResult{Code: 202}, code: 202},
		{name: "a From with a number the user may not use is refused", from: "+14155550199", user: "1001", pass: "alice-secret", contentType: "text/plain", code: 403},
		{name: "a national number in the From is made E.164", from: "14155550100", user: "1001", pass: "alice-secret", contentType: "text/plain", answer: TextResult{Code: 202}, code: 202},
		{name: "a body that is not text/plain", from: "1001", user: "1001", pass: "alice-secret", contentType: "application/json", code: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.mu.Lock()
			h.got, h.answer = nil, tt.answer
			h.mu.Unlock()
			req := textRequest(sw, tt.from, "bob", tt.contentType, "hello bob")
			req.AppendHeader(sip.NewHeader("P-Preferred-Identity", "<sip:+14155550100@127.0.0.1>"))
			res := phone.do(t, req, tt.user, tt.pass)
			if res.StatusCode != tt.code {
				t.Fatalf("status %d %s, want %d", res.StatusCode, res.Reason, tt.code)
			}
			if r := res.GetHeader("Reason"); tt.reason != "" && (r == nil || r.Value() != tt.reason) {
				t.Errorf("Reason %v, want %s", r, tt.reason)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if tt.code >= 300 {
				if tt.code != 488 && len(h.got) != 0 {
					t.Errorf("handler got %+v", h.got)
				}
				return
			}
			if len(h.got) != 1 {
				t.Fatalf("handler got %d texts", len(h.got))
			}
			g := h.got[0]
			if g.User != "1001" || g.To != "bob" || g.Body != "hello bob" || g.Identity != "+14155550100" || (g.FromUser != tt.from && g.FromUser != "+"+tt.from) || g.ID == "" {
				t.Errorf("handler got %+v", g)
			}
		})
	}
}

func TestDeliverTextReachesRegisteredPhones(t *testing.T) {
	sw, h := startMessageSwitch(t)
	phone := newTestPhone(t)
	if _, err := sw.DeliverText(context.Background(), "1002", OutgoingText{From: "1001", Body: "x"}); !errors.Is(err, ErrNoPhones) {
		t.Fatalf("unregistered: %v", err)
	}
	reg := sip.NewRequest(sip.REGISTER, switchURI(sw, ""))
	reg.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1"}, Params: sip.NewParams()})
	reg.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1"}})
	reg.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1", Port: phone.port}})
	if res := phone.do(t, reg, "1002", "bob-secret"); res.StatusCode != 200 {
		t.Fatalf("REGISTER: %d", res.StatusCode)
	}
	select {
	case u := <-h.registered:
		if u != "1002" {
			t.Fatalf("registered %s", u)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was not told of the registration")
	}
	n, err := sw.DeliverText(context.Background(), "1002", OutgoingText{ID: "msg_1", From: "+12125550123", Body: "hello from outside"})
	if err != nil || n != 1 {
		t.Fatalf("deliver: %d %v", n, err)
	}
	req := <-phone.got
	if string(req.Body()) != "hello from outside" || req.From().Address.User != "+12125550123" || req.GetHeader("X-Message-ID").Value() != "msg_1" {
		t.Errorf("phone got %s", req)
	}
}

func TestPhonesTextToANationalNumberIsMadeE164(t *testing.T) {
	sw, h := startMessageSwitch(t)
	phone := newTestPhone(t)
	for _, to := range []string{"2125550123", "12125550123", "+12125550123", "0012125550123"} {
		if res := phone.do(t, textRequest(sw, "1001", to, "text/plain", "hi"), "1001", "alice-secret"); res.StatusCode != 202 {
			t.Fatalf("to %s: %d", to, res.StatusCode)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, g := range h.got {
		if g.To != "+12125550123" {
			t.Errorf("handler got To %q", g.To)
		}
	}
}
