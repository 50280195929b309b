package e2e

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/webhook"
	"github.com/shopspring/decimal"
)

const (
	twSID   = "ACe2e0000000000000000000000000000"
	twToken = "e2eauthtoken123"
)

// e2eTwilio is a local fake of Twilio's Messages API for the real
// binary: it records requests and refuses scripted destinations.
type e2eTwilio struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []url.Values
	refuse map[string]int
	seq    int
}

func newE2ETwilio(t *testing.T) *e2eTwilio {
	f := &e2eTwilio{refuse: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != twSID || p != twToken || r.URL.Path != "/2010-04-01/Accounts/"+twSID+"/Messages.json" {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"code":20003,"message":"Authenticate","status":401}`)
			return
		}
		_ = r.ParseForm()
		f.mu.Lock()
		f.got = append(f.got, r.PostForm)
		code, refused := f.refuse[r.PostForm.Get("To")]
		f.seq++
		sid := fmt.Sprintf("SM%032d", f.seq)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if refused {
			w.WriteHeader(400)
			_, _ = fmt.Fprintf(w, `{"code":%d,"message":"refused by the fake","status":400}`, code)
			return
		}
		w.WriteHeader(201)
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": sid, "status": "queued", "num_segments": strconv.Itoa(segmentsOf(r.PostForm.Get("Body")))})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// segmentsOf counts like Twilio for the bodies these tests send: GSM-7
// when ASCII, else UCS-2 (no surrogates in these bodies).
func segmentsOf(body string) int {
	n, single, part := len([]rune(body)), 160, 153
	for _, r := range body {
		if r > 0x7F {
			single, part = 70, 67
			break
		}
	}
	if n <= single {
		return 1
	}
	return (n + part - 1) / part
}

func (f *e2eTwilio) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.got...)
}

// textingSwitch starts a switch with Twilio pointed at the fake, numbers
// with sms: true, and carol on a UK number.
func textingSwitch(t *testing.T, tw *e2eTwilio, o switchOpts) *switchProc {
	t.Helper()
	if o.Ports == nil {
		o.Ports = &switchProc{sipPort: freePort(t), httpPort: freePort(t), trunk: freePort(t)}
	}
	o.NoNumbers = true
	extra := o.Extra // the test's own sections, after the texting ones
	o.UserExtra = map[string]string{
		"1001": `    api_token: alice-api-token-1`,
		"1003": `    caller_ids: ["+442071838750"]`,
	}
	o.Extra = fmt.Sprintf(`numbers:
  - number: "+14155550100"
    user: "1001"
    sms: true
  - number: "+14155550101"
    user: "1002"
    sms: true
  - number: "+442071838750"
    user: "1003"
    sms: true
twilio:
  account_sid: %s
  auth_token: %s
  webhook_base_url: http://127.0.0.1:%d
  api_base_url: %s
  rate_per_number: 50
`, twSID, twToken, o.Ports.httpPort, tw.srv.URL) + extra
	return startSwitch(t, o)
}

// twilioSign signs a webhook as Twilio does: HMAC-SHA1 over the URL and
// the sorted form fields, base64.
func twilioSign(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := u
	for _, k := range keys {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// twilioWebhook posts a form to the switch as Twilio would, signed with
// token ("" sends no signature). No bearer token: Twilio has none.
func (s *switchProc) twilioWebhook(path string, form url.Values, token string) (int, string) {
	s.t.Helper()
	u := fmt.Sprintf("http://127.0.0.1:%d%s", s.httpPort, path)
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("X-Twilio-Signature", twilioSign(token, u, form))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

type apiMessage struct {
	ID        string   `json:"id"`
	Direction string   `json:"direction"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Body      string   `json:"body"`
	State     string   `json:"state"`
	SID       string   `json:"sid"`
	Segments  int      `json:"segments"`
	Charge    *string  `json:"charge"`
	Charged   bool     `json:"charged"`
	ErrorCode int      `json:"error_code"`
	MediaURLs []string `json:"media_urls"`
}

// sendText posts /v1/messages with the organization token.
func (s *switchProc) sendText(key, body string) (int, apiMessage, string) {
	s.t.Helper()
	code, b := s.api("POST", "/v1/messages", strings.NewReader(body), "Idempotency-Key", key, "Content-Type", "application/json")
	var m apiMessage
	_ = json.Unmarshal(b, &m)
	return code, m, string(b)
}

// message waits until the text satisfies cond.
func (s *switchProc) message(id string, cond func(apiMessage) bool) apiMessage {
	s.t.Helper()
	var m apiMessage
	waitFor(s.t, "text "+id, 10*time.Second, func() bool {
		code, b := s.api("GET", "/v1/messages/"+id, nil)
		if code != 200 {
			s.t.Fatalf("GET message %s: %d %s", id, code, b)
		}
		m = apiMessage{}
		_ = json.Unmarshal(b, &m)
		return cond(m)
	})
	return m
}

func balanceOf(t *testing.T, s *switchProc) decimal.Decimal {
	b, _ := s.balance()
	return decimal.RequireFromString(b)
}

// sippMessage sends one text from user with sipp and returns sipp's
// result; the messages log is in the result's dir.
func (s *switchProc) sippMessage(t *testing.T, scenarioName, user, password, target, body string) sippResult {
	t.Helper()
	return sipp(t, s.addr(), "-sf", scenario(scenarioName), "-s", target, "-key", "caller", user, "-key", "body", body,
		"-au", user, "-ap", password, "-m", "1", "-p", strconv.Itoa(freePort(t)), "-trace_msg")
}

func messagesLog(t *testing.T, dir string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "*_messages.log"))
	var all string
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		all += string(b)
	}
	return all
}

func TestTextsBetweenSippPhonesAndOfflineDelivery(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	bob := sw.phone(t, "1002", "bob-secret", "-sf", scenario("uas_message.xml"), "-m", "1", "-trace_msg")
	if r := sw.sippMessage(t, "uac_message.xml", "1001", "alice-secret", "1002", "hello bob"); r.code != 0 {
		t.Fatalf("alice's MESSAGE: sipp exit %d\n%s", r.code, r.out)
	}
	res := bob()
	if res.code != 0 {
		t.Fatalf("bob's phone: %d\n%s", res.code, res.out)
	}
	mustContain(t, messagesLog(t, res.dir), "hello bob")

	// carol is not registered: the switch keeps the texts, in order, and
	// delivers them when her phone registers.
	for _, body := range []string{"first for carol", "second for carol"} {
		if r := sw.sippMessage(t, "uac_message.xml", "1001", "alice-secret", "carol", body); r.code != 0 {
			t.Fatalf("MESSAGE to carol: %d\n%s", r.code, r.out)
		}
	}
	carol := sw.phone(t, "1003", "carol-secret", "-sf", scenario("uas_message.xml"), "-m", "2", "-trace_msg")
	res = carol()
	if res.code != 0 {
		t.Fatalf("carol's phone: %d\n%s", res.code, res.out)
	}
	log := messagesLog(t, res.dir)
	first, second := strings.Index(log, "first for carol"), strings.Index(log, "second for carol")
	if first < 0 || second < first {
		t.Fatalf("carol got them out of order or not at all:\n%s", tail(log, 3000))
	}
	if len(tw.requests()) != 0 {
		t.Error("a text between users went to Twilio")
	}
}

func TestTextBaresipMessageBetweenUsers(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	bob := startBaresip(t, sw, "bob", "bob-secret")
	alice := startBaresip(t, sw, "alice", "alice-secret")
	for _, b := range []*baresip{alice, bob} {
		if !b.waitLog(`200 OK`, 10*time.Second) {
			t.Fatal("baresip did not register")
		}
	}
	// baresip's /message texts the current contact (the contact module).
	if err := os.WriteFile(filepath.Join(alice.dir, "cfg", "contacts"), []byte(fmt.Sprintf(`"bob" <sip:bob@127.0.0.1:%d>`+"\n", sw.sipPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"insmod", "contact.so"}, {"contact_next", ""}, {"message", "hello from baresip"}} {
		t.Logf("baresip %s: %s", c[0], alice.command(c[0], c[1]))
	}
	// baresip's menu shows a text only on a UI module, which needs a
	// terminal; it rings its message tone (message.wav, absent here) for
	// every MESSAGE it takes.
	if !bob.waitLog(`message\.wav`, 10*time.Second) {
		t.Fatalf("bob did not get the text; alice's log:\n%s", tail(alice.log.String(), 2000))
	}
	code, b := sw.api("GET", "/v1/messages?user=1002", nil)
	if code != 200 || !strings.Contains(string(b), `"body":"hello from baresip"`) || !strings.Contains(string(b), `"state":"delivered"`) {
		t.Fatalf("stored text: %d %s", code, b)
	}
}

func TestTextPhoneToOutsideNumberAndBack(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	before := balanceOf(t, sw)
	if r := sw.sippMessage(t, "uac_message.xml", "1001", "alice-secret", "+12125550123", "hi from a phone"); r.code != 0 {
		t.Fatalf("MESSAGE out: %d\n%s", r.code, r.out)
	}
	waitFor(t, "the text at Twilio", 10*time.Second, func() bool { return len(tw.requests()) == 1 })
	got := tw.requests()[0]
	if got.Get("From") != "+14155550100" || got.Get("To") != "+12125550123" || !strings.HasPrefix(got.Get("Body"), "hi from a phone") ||
		got.Get("StatusCallback") != fmt.Sprintf("http://127.0.0.1:%d/v1/twilio/status", sw.httpPort) {
		t.Fatalf("Twilio got %v", got)
	}
	code, b := sw.api("GET", "/v1/messages?user=1001", nil)
	var list struct {
		Conversations []struct {
			Peer     string       `json:"peer"`
			Messages []apiMessage `json:"messages"`
		} `json:"conversations"`
	}
	_ = json.Unmarshal(b, &list)
	if code != 200 || len(list.Conversations) != 1 || len(list.Conversations[0].Messages) != 1 {
		t.Fatalf("list: %d %s", code, b)
	}
	m := sw.message(list.Conversations[0].Messages[0].ID, func(m apiMessage) bool { return m.Charged })
	if m.Charge == nil || *m.Charge != "0.01" {
		t.Fatalf("text %+v", m)
	}

	// Delivery status, signed; a replay changes nothing.
	for _, st := range []string{"sent", "delivered", "delivered", "sent"} {
		form := url.Values{"MessageSid": {m.SID}, "MessageStatus": {st}, "AccountSid": {twSID}}
		if code, _ := sw.twilioWebhook("/v1/twilio/status", form, twToken); code != 204 {
			t.Fatalf("status %s: %d", st, code)
		}
	}
	if m = sw.message(m.ID, func(apiMessage) bool { return true }); m.State != "delivered" {
		t.Errorf("state %s", m.State)
	}

	// The reply: Twilio's webhook → alice's phone, at once empty TwiML.
	alice := sw.phone(t, "1001", "alice-secret", "-sf", scenario("uas_message.xml"), "-m", "1", "-trace_msg")
	form := url.Values{"MessageSid": {"SMreply1"}, "AccountSid": {twSID}, "From": {"+12125550123"}, "To": {"+14155550100"},
		"Body": {"a reply"}, "NumSegments": {"1"}, "NumMedia": {"1"}, "MediaUrl0": {"https://media.example.com/p.jpg"}}
	for range 2 { // Twilio retrying the webhook
		code, body := sw.twilioWebhook("/v1/twilio/messages", form, twToken)
		if code != 200 || !strings.Contains(body, "<Response></Response>") {
			t.Fatalf("inbound webhook: %d %s", code, body)
		}
	}
	res := alice()
	if res.code != 0 {
		t.Fatalf("alice's phone: %d\n%s", res.code, res.out)
	}
	log := messagesLog(t, res.dir)
	mustContain(t, log, "a reply")
	mustContain(t, log, "https://media.example.com/p.jpg")
	mustContain(t, log, "From: <sip:+12125550123@")
	// 0.01 out (1 segment) + 0.01 in (an MMS at mms-in): each once.
	waitFor(t, "the charges", 5*time.Second, func() bool {
		return before.Sub(balanceOf(t, sw)).Equal(decimal.RequireFromString("0.02"))
	})
	_, post := sw.api("GET", "/v1/postings", nil)
	if n := strings.Count(string(post), `"kind":"text"`); n != 2 {
		t.Errorf("%d text postings:\n%s", n, post)
	}
	_, metrics := sw.api("GET", "/metrics", nil)
	mustContain(t, string(metrics), "dialtone_messages_sent_total 1")
}

func TestTextBadSignatureIsRefusedAndNothingStored(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	form := url.Values{"MessageSid": {"SMforged"}, "From": {"+12125550123"}, "To": {"+14155550100"}, "Body": {"forged"}}
	for _, token := range []string{"", "wrongtoken123"} {
		if code, _ := sw.twilioWebhook("/v1/twilio/messages", form, token); code != 403 {
			t.Errorf("signed with %q: %d", token, code)
		}
	}
	_, b := sw.api("GET", "/v1/messages", nil)
	if strings.Contains(string(b), "forged") {
		t.Fatalf("stored: %s", b)
	}
}

func TestTextCountryRules(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	before := balanceOf(t, sw)
	tests := []struct {
		name string
		body string
		code int
		rule string
	}{
		{"US to US", `{"from":"+14155550100","to":"+12125550123","body":"x"}`, 201, ""},
		{"US to Canada", `{"from":"+14155550100","to":"+14165550123","body":"x"}`, 201, ""},
		{"US to Puerto Rico", `{"from":"+14155550100","to":"+17875550123","body":"x"}`, 201, ""},
		{"UK to UK", `{"from":"+442071838750","to":"+447400123456","body":"x"}`, 201, ""},
		{"US to UK", `{"from":"+14155550100","to":"+447400123456","body":"x"}`, 422, "countries"},
		{"UK to France", `{"from":"+442071838750","to":"+33612345678","body":"x"}`, 422, "countries"},
		{"US to Germany", `{"from":"+14155550100","to":"+4930123456","body":"x"}`, 422, "countries"},
		{"MMS in the US", `{"from":"+14155550100","to":"+12125550124","media_urls":["https://m.example.com/a.jpg"]}`, 201, ""},
		{"MMS to Canada", `{"from":"+14155550100","to":"+14165550124","media_urls":["https://m.example.com/a.jpg"]}`, 201, ""},
		{"MMS in the UK", `{"from":"+442071838750","to":"+447400123456","media_urls":["https://m.example.com/a.jpg"]}`, 422, "countries"},
		{"MMS to Puerto Rico", `{"from":"+14155550100","to":"+17875550123","media_urls":["https://m.example.com/a.jpg"]}`, 422, "countries"},
	}
	accepted := 0
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, raw := sw.sendText(fmt.Sprint("rule-", i), tt.body)
			if code != tt.code || (tt.rule != "" && !strings.Contains(raw, `"rule":"`+tt.rule+`"`)) {
				t.Fatalf("%d %s, want %d %s", code, raw, tt.code, tt.rule)
			}
			if code == 201 {
				accepted++
			}
		})
	}
	// From a phone: the refusal's code and Reason.
	for _, tc := range []struct{ user, pass, to, code, reason string }{
		{"1001", "alice-secret", "+447400123456", "488", "texts between US and GB numbers are not supported"},
		{"1003", "carol-secret", "+33612345678", "488", "texts between GB and FR numbers are not supported"},
		{"1003", "carol-secret", "+12125550123", "488", "texts between GB and US numbers are not supported"},
	} {
		r := sw.sippMessage(t, "uac_message_refused.xml", tc.user, tc.pass, tc.to, "nope")
		if r.code != 0 {
			t.Fatalf("%s → %s: sipp %d\n%s", tc.user, tc.to, r.code, r.out)
		}
		log := messagesLog(t, r.dir)
		mustContain(t, log, "SIP/2.0 "+tc.code)
		mustContain(t, log, "Reason: SIP;cause="+tc.code+`;text="`+tc.reason)
	}
	waitFor(t, "the accepted texts at Twilio", 10*time.Second, func() bool { return len(tw.requests()) == accepted })
	// Refused texts cost nothing: of the 6 accepted, 3 US SMS at 0.01
	// (sample deck 0.0079), a UK one at 0.06 (0.0524) and 2 MMS at 0.02.
	waitFor(t, "the charges", 5*time.Second, func() bool {
		return before.Sub(balanceOf(t, sw)).Equal(decimal.RequireFromString("0.13"))
	})
}

func TestTextOptOut(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	inbound := func(sid, body string) {
		form := url.Values{"MessageSid": {sid}, "From": {"+12125550123"}, "To": {"+14155550100"}, "Body": {body}, "NumSegments": {"1"}}
		if code, _ := sw.twilioWebhook("/v1/twilio/messages", form, twToken); code != 200 {
			t.Fatalf("webhook %s: %d", body, code)
		}
	}
	send := `{"from":"+14155550100","to":"+12125550123","body":"an offer"}`
	inbound("SMstop", "Stop")
	code, _, raw := sw.sendText("o1", send)
	if code != 422 || !strings.Contains(raw, `"rule":"opted_out"`) {
		t.Fatalf("after STOP: %d %s", code, raw)
	}
	if r := sw.sippMessage(t, "uac_message_refused.xml", "1001", "alice-secret", "+12125550123", "an offer"); r.code != 0 {
		t.Fatalf("phone after STOP: %d\n%s", r.code, r.out)
	} else {
		mustContain(t, messagesLog(t, r.dir), "opted out")
	}
	if len(tw.requests()) != 0 {
		t.Fatal("an opted-out text reached Twilio")
	}
	inbound("SMstart", "START")
	if code, _, raw := sw.sendText("o2", send); code != 201 {
		t.Fatalf("after START: %d %s", code, raw)
	}
}

func TestTextChargePerSegment(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	tests := []struct {
		name     string
		body     string
		segments int
		charge   string // US sms-out 0.0079 per segment, rounded up per text
	}{
		{"GSM-7, 160 characters: 1 segment", strings.Repeat("a", 160), 1, "0.01"},
		{"GSM-7, 161 characters: 2 segments", strings.Repeat("a", 161), 2, "0.02"},
		{"GSM-7, 460 characters: 4 segments", strings.Repeat("b", 460), 4, "0.04"},
		{"UCS-2, 70 characters: 1 segment", strings.Repeat("ж", 70), 1, "0.01"},
		{"UCS-2, 71 characters: 2 segments", strings.Repeat("ж", 71), 2, "0.02"},
		{"UCS-2, 135 characters: 3 segments", strings.Repeat("é", 1) + strings.Repeat("ж", 134), 3, "0.03"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := balanceOf(t, sw)
			body, _ := json.Marshal(map[string]string{"from": "+14155550100", "to": "+12125550123", "body": tt.body})
			code, m, raw := sw.sendText(fmt.Sprint("seg-", i), string(body))
			if code != 201 {
				t.Fatalf("%d %s", code, raw)
			}
			m = sw.message(m.ID, func(m apiMessage) bool { return m.Charged })
			if m.Segments != tt.segments || m.Charge == nil || *m.Charge != tt.charge {
				t.Fatalf("text %+v, want %d segments at %s", m, tt.segments, tt.charge)
			}
			if d := before.Sub(balanceOf(t, sw)); !d.Equal(decimal.RequireFromString(tt.charge)) {
				t.Errorf("balance moved %s, want %s", d, tt.charge)
			}
			// The same Idempotency-Key again sends and charges nothing more.
			if code, again, _ := sw.sendText(fmt.Sprint("seg-", i), string(body)); code != 200 || again.ID != m.ID {
				t.Errorf("replay: %d %s", code, again.ID)
			}
		})
	}
	if n := len(tw.requests()); n != len(tests) {
		t.Errorf("Twilio got %d texts, want %d", n, len(tests))
	}
}

func TestTextCrashBetweenAcceptanceAndPosting(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	ports := &switchProc{sipPort: freePort(t), httpPort: freePort(t), trunk: freePort(t)}
	data := filepath.Join(t.TempDir(), "data")
	sw := textingSwitch(t, tw, switchOpts{Ports: ports, Data: data, Env: []string{"DIALTONE_TEST_PAUSE_AFTER_ACCEPT=60s"}})
	before := balanceOf(t, sw)
	code, m, raw := sw.sendText("crash-1", `{"from":"+14155550100","to":"+12125550123","body":"`+strings.Repeat("c", 200)+`"}`)
	if code != 201 {
		t.Fatalf("%d %s", code, raw)
	}
	waitFor(t, "the pause after acceptance", 10*time.Second, func() bool {
		return strings.Contains(sw.log.String(), "paused after the carrier's acceptance")
	})
	sw.kill() // kill -9: Twilio has the text, the ledger has no charge

	sw = textingSwitch(t, tw, switchOpts{Ports: ports, Data: data})
	m = sw.message(m.ID, func(m apiMessage) bool { return m.Charged })
	if m.Charge == nil || *m.Charge != "0.02" || m.Segments != 2 {
		t.Fatalf("after restart: %+v", m)
	}
	if d := before.Sub(balanceOf(t, sw)); !d.Equal(decimal.RequireFromString("0.02")) {
		t.Errorf("balance moved %s, want 0.02", d)
	}
	// A replayed status callback and another restart post nothing more.
	form := url.Values{"MessageSid": {m.SID}, "MessageStatus": {"delivered"}}
	for range 2 {
		if code, _ := sw.twilioWebhook("/v1/twilio/status", form, twToken); code != 204 {
			t.Fatalf("status: %d", code)
		}
	}
	sw.stop()
	sw = textingSwitch(t, tw, switchOpts{Ports: ports, Data: data})
	_, post := sw.api("GET", "/v1/postings", nil)
	if n := strings.Count(string(post), `"kind":"text"`); n != 1 {
		t.Errorf("%d text postings, want 1:\n%s", n, post)
	}
	if n := len(tw.requests()); n != 1 {
		t.Errorf("Twilio got the text %d times", n)
	}
	sw.stop()
	out, _, code2 := cli(t, "messages", "list", "--data", data)
	if code2 != 0 || !strings.Contains(out, m.ID) || !strings.Contains(out, m.SID) {
		t.Errorf("messages list: %d\n%s", code2, out)
	}
}

func TestTextCarrierRefusalIsExplainedToThePhone(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	tw.refuse["+12125550199"] = 21211
	sw := textingSwitch(t, tw, switchOpts{})
	before := balanceOf(t, sw)
	bob := sw.phone(t, "1002", "bob-secret", "-sf", scenario("uas_message.xml"), "-m", "1", "-trace_msg")
	if r := sw.sippMessage(t, "uac_message.xml", "1002", "bob-secret", "+12125550199", "to a bad number"); r.code != 0 {
		t.Fatalf("MESSAGE: %d\n%s", r.code, r.out)
	}
	res := bob()
	if res.code != 0 {
		t.Fatalf("bob's phone: %d\n%s", res.code, res.out)
	}
	log := messagesLog(t, res.dir)
	mustContain(t, log, "From: \"dialtone\" <sip:dialtone@")
	mustContain(t, log, "Your text to +12125550199 was not delivered")
	mustContain(t, log, "21211")
	if !balanceOf(t, sw).Equal(before) {
		t.Errorf("a refused text was charged: %s → %s", before, balanceOf(t, sw))
	}
}

func TestTextAPIUserTokenActsAsTheUser(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	as := func(method, path, body, key string) (int, string) {
		req, _ := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", sw.httpPort, path), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer alice-api-token-1")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := as("POST", "/v1/messages", `{"to":"+12125550123","body":"from alice's token"}`, "u1")
	if code != 201 || !strings.Contains(body, `"from":"+14155550100"`) || !strings.Contains(body, `"user":"1001"`) {
		t.Fatalf("send: %d %s", code, body)
	}
	if code, body := as("POST", "/v1/messages", `{"to":"+12125550123","media_urls":["https://m.example.com/a.jpg"]}`, "u2"); code != 403 || !strings.Contains(body, `"rule":"mms"`) {
		t.Errorf("MMS without mms: %d %s", code, body)
	}
	if code, body := as("POST", "/v1/messages", `{"from":"+442071838750","to":"+447400123456","body":"x"}`, "u3"); code != 422 || !strings.Contains(body, `"rule":"sms_number"`) {
		t.Errorf("another user's number: %d %s", code, body)
	}
	if code, _ := as("GET", "/v1/messages?user=1003", "", ""); code != 403 {
		t.Errorf("another user's texts: %d", code)
	}
	if code, body := as("GET", "/v1/messages", "", ""); code != 200 || !strings.Contains(body, "from alice's token") {
		t.Errorf("own texts: %d %s", code, body)
	}
	if code, _ := as("GET", "/v1/cdrs", "", ""); code != 403 {
		t.Errorf("the rest of the API with a user's token: %d", code)
	}
}

// A text's status changes reach the CRM through the switch's one webhook
// outbox: the `webhooks` target the dialer's events use, signed alike.
func TestTextStatusEventsReachTheCRMWebhookSigned(t *testing.T) {
	t.Parallel()
	const secret = "e2e-webhook-secret-0123"
	var mu sync.Mutex
	var events []map[string]any
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("a CRM event with a bad signature: %v", err)
			w.WriteHeader(400)
			return
		}
		var ev map[string]any
		if json.Unmarshal(body, &ev) == nil {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		}
	}))
	defer crm.Close()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{Extra: "webhooks:\n  url: " + crm.URL + "\n  secret: " + secret + "\n"})
	code, body := sw.api("POST", "/v1/messages", strings.NewReader(`{"from":"+14155550100","to":"+12125550123","body":"hello"}`), "Idempotency-Key", "crm-event-1")
	if code != 201 {
		t.Fatalf("send: %d %s", code, body)
	}
	statuses := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, ev := range events {
			if ev["type"] == "message.status" {
				if d, ok := ev["data"].(map[string]any); ok {
					out = append(out, fmt.Sprint(d["state"]))
				}
			}
		}
		return out
	}
	waitFor(t, "a message.status event for the text", 15*time.Second, func() bool { return len(statuses()) > 0 })
}

// While the switch holds the database, messages list asks its API and
// prints what it prints offline: a line per text, or CSV.
func TestMessagesListWorksWhileTheSwitchRuns(t *testing.T) {
	t.Parallel()
	tw := newE2ETwilio(t)
	sw := textingSwitch(t, tw, switchOpts{})
	code, body := sw.api("POST", "/v1/messages", strings.NewReader(`{"from":"1001","to":"1002","body":"see you at ten"}`), "Idempotency-Key", "list-1")
	if code != 201 {
		t.Fatalf("send: %d %s", code, body)
	}
	out, errOut, code2 := cli(t, "messages", "list", "--config", sw.cfgPath, "--data", sw.data, "--format", "csv")
	if code2 != 0 || !strings.HasPrefix(out, "created_at,id,direction") || !strings.Contains(out, "1002") {
		t.Fatalf("messages list --format csv: exit %d\n%s%s", code2, out, errOut)
	}
	mustContain(t, errOut, "asking its API")
	out, errOut, code2 = cli(t, "messages", "list", "--config", sw.cfgPath, "--data", sw.data)
	var m map[string]any
	if code2 != 0 || json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &m) != nil || m["id"] == nil {
		t.Fatalf("messages list (json lines): exit %d\n%s%s", code2, out, errOut)
	}
}
