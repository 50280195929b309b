package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// registration is an entry of GET /v1/registrations.
type registration struct {
	User      string `json:"user"`
	Contact   string `json:"contact"`
	Source    string `json:"source"`
	Transport string `json:"transport"`
	UserAgent string `json:"user_agent"`
}

func (s *switchProc) registrations(t *testing.T, user string) []registration {
	t.Helper()
	code, body := s.api("GET", "/v1/registrations", nil)
	if code != 200 {
		t.Fatalf("GET /v1/registrations: %d %s", code, body)
	}
	var all, out []registration
	if err := json.Unmarshal(body, &all); err != nil {
		t.Fatalf("registrations %s: %v", body, err)
	}
	for _, r := range all {
		if r.User == user {
			out = append(out, r)
		}
	}
	return out
}

// registerLines registers n contacts for user from sipp at port, one
// REGISTER each (test/sipp/register_lines.xml): ;line=1 to ;line=n.
func (s *switchProc) registerLines(t *testing.T, user, password string, port, n int, contactHost string) {
	t.Helper()
	res := sipp(t, s.addr(), "-sf", scenario("register_lines.xml"), "-s", user, "-au", user, "-ap", password,
		"-key", "contact_host", contactHost, "-m", strconv.Itoa(n), "-r", "50", "-p", strconv.Itoa(port))
	if res.code != 0 {
		t.Fatalf("register %d contacts of %s: sipp exit %d\n%s", n, user, res.code, res.out)
	}
}

// lines lists the ;line= numbers of contacts, sorted.
func lines(t *testing.T, contacts []string) []int {
	t.Helper()
	var out []int
	for _, c := range contacts {
		_, after, ok := strings.Cut(c, ";line=")
		if !ok {
			t.Fatalf("contact without a line: %s", c)
		}
		n, err := strconv.Atoi(strings.FieldsFunc(after, func(r rune) bool { return r == ';' || r == '>' })[0])
		if err != nil {
			t.Fatalf("contact %s: %v", c, err)
		}
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// busyPhones answers every INVITE that reaches port with 486 and records
// the Request-URIs it was sent to, until the returned func stops it.
func busyPhones(t *testing.T, port int) (stop func() []string) {
	t.Helper()
	conn, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]string{} // Call-ID -> Request-URI
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if !strings.HasPrefix(msg, "INVITE ") {
				continue // the ACKs of our 486s
			}
			uri := strings.Fields(msg)[1]
			res, callID := busyResponse(msg)
			mu.Lock()
			seen[callID] = uri
			mu.Unlock()
			_, _ = conn.WriteTo([]byte(res), from)
		}
	}()
	return func() []string {
		_ = conn.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		var uris []string
		for _, u := range seen {
			uris = append(uris, u)
		}
		return uris
	}
}

// busyResponse builds a 486 for an INVITE and returns its Call-ID.
func busyResponse(invite string) (string, string) {
	head, _, _ := strings.Cut(invite, "\r\n\r\n")
	var b strings.Builder
	b.WriteString("SIP/2.0 486 Busy Here\r\n")
	callID := ""
	for _, line := range strings.Split(head, "\r\n")[1:] {
		name, value, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "from", "call-id", "cseq":
			b.WriteString(line + "\r\n")
		case "to":
			b.WriteString(line + ";tag=busy" + "\r\n")
		}
		if strings.EqualFold(strings.TrimSpace(name), "call-id") {
			callID = strings.TrimSpace(value)
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String(), callID
}

func TestContactsPerUserAndForksPerCallAreCapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sipExtra  string
		kept      []int // lines of the 12 registered that stay
		rung      []int // lines one call rings
		forkLimit int
	}{
		{name: "12 contacts keep the newest 10 (max_contacts) and a call rings those 10",
			kept: seqInts(3, 12), rung: seqInts(3, 12)},
		{name: "a call rings at most max_forks contacts, the newest", sipExtra: "  max_contacts: 20\n  max_forks: 4",
			kept: seqInts(1, 12), rung: seqInts(9, 12)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw := startSwitch(t, switchOpts{SIPExtra: tt.sipExtra})
			port := freePort(t)
			sw.registerLines(t, "1002", "bob-secret", port, 12, "127.0.0.1")
			var contacts []string
			for _, r := range sw.registrations(t, "1002") {
				contacts = append(contacts, r.Contact)
			}
			if got := lines(t, contacts); fmt.Sprint(got) != fmt.Sprint(tt.kept) {
				t.Fatalf("registered lines: %v, want %v", got, tt.kept)
			}
			phones := busyPhones(t, port)
			res := sw.call(t, "1001", "alice-secret", "1002", 100)
			mustContain(t, res.out, "486")
			if got := lines(t, phones()); fmt.Sprint(got) != fmt.Sprint(tt.rung) {
				t.Fatalf("the call rang lines %v, want %v", got, tt.rung)
			}
		})
	}
}

func seqInts(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestRegistrationsSurviveARestart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stop  func(s *switchProc)
		crash bool
	}{
		{"a graceful stop (SIGTERM)", (*switchProc).stop, false},
		{"a crash (kill -9)", (*switchProc).kill, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Voicemail on: a call to a phone the switch forgot would be
			// answered by voicemail, not ring the phone.
			sw := startSwitch(t, switchOpts{Voicemail: true})
			port := freePort(t)
			// A phone behind NAT: its Contact is a private address nobody
			// can reach, its REGISTER comes from sipp's port.
			sw.registerLines(t, "1002", "bob-secret", port, 1, "192.0.2.10")
			if tt.crash {
				// Written a moment after the 200 OK, off the REGISTER's
				// path: what a crash loses is the last moment's REGISTERs.
				waitFor(t, "the registration to be saved", 5*time.Second, func() bool {
					return strings.Contains(sw.log.String(), "registrations saved")
				})
			}
			tt.stop(sw)

			again := startSwitch(t, switchOpts{Voicemail: true, Data: sw.data, Ports: sw})
			regs := again.registrations(t, "1002")
			want := fmt.Sprintf("127.0.0.1:%d", port)
			if len(regs) != 1 || regs[0].Source != want || !strings.Contains(regs[0].Contact, "192.0.2.10") || regs[0].UserAgent != "sipp line 1" {
				t.Fatalf("registrations after the restart: %+v, want the phone's contact from %s", regs, want)
			}
			phone := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(port), "-m", "1")
			if res := again.call(t, "1001", "alice-secret", "1002", 300); res.code != 0 {
				t.Fatalf("call: sipp exit %d\n%s", res.code, res.out)
			}
			mustSucceed(t, "the phone registered before the restart", phone)
			in, out := byDirection(t, again.cdrs(2))
			if out.User != "1002" || out.Reason == "voicemail" || out.Disposition != "answered" || in.Disposition != "answered" {
				t.Fatalf("legs: %+v %+v", in, out)
			}
		})
	}
}
