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
	o.UserExtra = map[string]string{"1003": `    caller_ids: ["+442071838750"]`}
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
`, twSID, twToken, o.Ports.httpPort, tw.srv.URL)
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
