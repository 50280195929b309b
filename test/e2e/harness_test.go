package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

var binary string // the dialtone binary built for this run

// defaultParallel is how many tests run at once unless -parallel says
// otherwise. The tests mostly wait (for rings, hold times, timeouts), not
// compute: on 2 cores six at a time cut the package from ~12 to ~4
// minutes. The tests that measure time closely do not call t.Parallel
// and run alone, before the others.
const defaultParallel = 6

func TestMain(m *testing.M) {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", strconv.Itoa(defaultParallel))
	}
	dir, err := os.MkdirTemp("", "dialtone-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dialtone")
	args := []string{"build", "-o", binary}
	if os.Getenv("E2E_RACE") != "" {
		args = append(args, "-race") // and a race report fails the switch's log check below
	}
	build := exec.Command("go", append(args, "../../cmd/dialtone")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build dialtone:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTool skips a test when a peer is missing, except in CI, where a
// missing tool must fail rather than silently skip.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (see .ci/run)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// portMu keeps tests of one process from picking the same port twice.
var (
	portMu   sync.Mutex
	portUsed = map[int]bool{}
)

// freePort returns a loopback port free for both UDP and TCP.
func freePort(t *testing.T) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for range 100 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err != nil || portUsed[port] {
			continue
		}
		ln.Close()
		portUsed[port] = true
		return port
	}
	t.Fatal("no free port")
	return 0
}

// switchProc is a running dialtone.
type switchProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	dir      string
	data     string
	cfgPath  string
	sipPort  int
	httpPort int
	trunk    int // the sipp trunk's port
	log      *syncBuffer
	done     chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// baseConfig is the test config; fields in {{ }} are filled per switch.
const baseConfig = `
organization:
  id: test
  currency: USD
  starting_balance: "{{.Balance}}"
sip:
  domain: 127.0.0.1
  udp: 127.0.0.1:{{.SIP}}
  tcp: 127.0.0.1:{{.SIP}}
  ring_timeout: {{.RingTimeout}}
  auth_fail_limit: {{.AuthFailLimit}}
  auth_block: 1m
  voicemail_default: {{.Voicemail}}
{{.SIPExtra}}
http:
  listen: 127.0.0.1:{{.HTTP}}
  tokens: [test-token-123]
{{.HTTPExtra}}
roles:
  - name: agent
    permissions: [calls.inbound, calls.outbound, sms, dialer]
  - name: admin
    permissions: [calls.inbound, calls.outbound, calls.international, sms, dialer]
users:
  - extension: "1001"
    name: alice
    password: alice-secret
    role: admin
    caller_ids: ["+14155550100", "+16505550100"]
{{index .UserExtra "1001"}}
  - extension: "1002"
    name: bob
    password: bob-secret
    role: agent
    caller_ids: ["+14155550100"]
{{index .UserExtra "1002"}}
  - extension: "1003"
    name: carol
    password: carol-secret
    role: agent
{{index .UserExtra "1003"}}
{{if not .NoNumbers}}numbers:
  - number: "+14155550100"
    user: "1001"
  - number: "+14155550101"
    user: "1002"
  - number: "+18005550100"
    user: "1003"
{{end}}trunks:
  - name: carrier
    address: 127.0.0.1:{{.Trunk}}
    allowed_sources: [127.0.0.1]
{{.TrunkAuth}}media:
  port_min: 10000
  port_max: 10999
{{.MediaExtra}}
billing:
  rate_deck: sample
{{.Rates}}
{{.Extra}}
`

type switchOpts struct {
	Balance       string
	RingTimeout   string
	AuthFailLimit int
	Extra         string
	Rates         string            // lines under billing:, e.g. "  rates: [...]"
	NoNumbers     bool              // no rented numbers, so the balance is exactly the starting one
	TrunkAuth     string            // lines added to the trunk (credentials)
	UserExtra     map[string]string // lines added to a user, by extension
	SIPExtra      string            // lines added under sip:
	MediaExtra    string            // lines added under media:
	HTTPExtra     string            // lines added under http:
	Voicemail     bool              // calls a user does not take go to voicemail
	Data          string            // reuse a data dir (restart tests)
	OpenFiles     int               // the switch's open-files limit (soft and hard), when not 0
	Env           []string          // extra environment variables (test hooks)
	Ports         *switchProc
}

// startSwitch writes a config and starts dialtone serve, waiting until it
// answers /healthz.
func startSwitch(t *testing.T, o switchOpts) *switchProc {
	t.Helper()
	if o.Balance == "" {
		o.Balance = "25.00"
	}
	if o.RingTimeout == "" {
		o.RingTimeout = "5s"
	}
	if o.AuthFailLimit == 0 {
		o.AuthFailLimit = 50
	}
	// A port freePort picked can be taken by another process before the
	// switch binds it (the tests run in parallel): then the switch exits
	// at start, and a switch of fresh ports and data dir is tried again.
	for attempt := 1; ; attempt++ {
		s, err := launchSwitch(t, o)
		if err == nil {
			return s
		}
		if o.Ports != nil || o.Data != "" || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("switch attempt %d: a port was taken, trying others", attempt)
	}
}

// launchSwitch starts the switch once; see startSwitch.
func launchSwitch(t *testing.T, o switchOpts) (*switchProc, error) {
	t.Helper()
	s := &switchProc{t: t, dir: t.TempDir(), log: &syncBuffer{}, done: make(chan struct{})}
	if o.Ports != nil {
		s.sipPort, s.httpPort, s.trunk = o.Ports.sipPort, o.Ports.httpPort, o.Ports.trunk
	} else {
		s.sipPort, s.httpPort, s.trunk = freePort(t), freePort(t), freePort(t)
	}
	s.data = o.Data
	if s.data == "" {
		s.data = filepath.Join(s.dir, "data")
	}
	var cfg bytes.Buffer
	tmpl := template.Must(template.New("cfg").Parse(baseConfig))
	if err := tmpl.Execute(&cfg, map[string]any{
		"SIP": s.sipPort, "HTTP": s.httpPort, "Trunk": s.trunk, "Balance": o.Balance,
		"RingTimeout": o.RingTimeout, "AuthFailLimit": o.AuthFailLimit, "Extra": o.Extra,
		"Rates": o.Rates, "NoNumbers": o.NoNumbers, "TrunkAuth": o.TrunkAuth,
		"UserExtra": o.UserExtra, "SIPExtra": o.SIPExtra, "MediaExtra": o.MediaExtra, "HTTPExtra": o.HTTPExtra, "Voicemail": o.Voicemail,
	}); err != nil {
		t.Fatal(err)
	}
	s.cfgPath = filepath.Join(s.dir, "dialtone.yaml")
	if err := os.WriteFile(s.cfgPath, cfg.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"serve", "--config", s.cfgPath, "--data", s.data, "--log-level", "debug", "--shutdown-grace", "3s"}
	s.cmd = exec.Command(binary, args...)
	if o.OpenFiles > 0 {
		// exec: the shell becomes the switch, so signals reach it.
		s.cmd = exec.Command("sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, o.OpenFiles), binary}, args...)...)
	}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if len(o.Env) > 0 {
		s.cmd.Env = append(os.Environ(), o.Env...)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.stop()
		if log := s.log.String(); strings.Contains(log, "WARNING: DATA RACE") {
			i := strings.Index(log, "WARNING: DATA RACE")
			t.Errorf("the switch reported a data race:\n%s", log[i:min(len(log), i+8000)])
		}
		if t.Failed() || os.Getenv("E2E_LOG") != "" {
			t.Logf("dialtone log:\n%s", tail(s.log.String(), 6000))
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", s.httpPort))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("dialtone exited at start:\n%s", s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("dialtone did not become healthy:\n%s", s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a graceful exit.
func (s *switchProc) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("dialtone did not stop on SIGTERM")
	}
}

// kill ends the switch like a crash.
func (s *switchProc) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

func (s *switchProc) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.sipPort) }

// api calls the HTTP API with the test token.
func (s *switchProc) api(method, path string, body io.Reader, hdr ...string) (int, []byte) {
	s.t.Helper()
	res, b := s.apiResponse(method, path, body, hdr...)
	return res.StatusCode, b
}

// apiResponse is api's request with the whole response: its headers too.
func (s *switchProc) apiResponse(method, path string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", s.httpPort, path), body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer test-token-123")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// balance returns the organization's balance and available credit.
func (s *switchProc) balance() (balance, available string) {
	s.t.Helper()
	code, body := s.api("GET", "/v1/balance", nil)
	if code != 200 {
		s.t.Fatalf("GET /v1/balance: %d %s", code, body)
	}
	var b struct {
		Balance   string `json:"balance"`
		Available string `json:"available"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		s.t.Fatalf("balance %s: %v", body, err)
	}
	return b.Balance, b.Available
}

// reload rewrites the switch's config file with edit and sends SIGHUP,
// waiting until the switch has applied it.
func (s *switchProc) reload(t *testing.T, edit func(cfg string) string) {
	t.Helper()
	cfg, err := os.ReadFile(s.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(cfg))
	if edited == string(cfg) {
		t.Fatal("reload: the edit changed nothing")
	}
	if err := os.WriteFile(s.cfgPath, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	reloads := func() int { return strings.Count(s.log.String(), "config reloaded") }
	before := reloads()
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload", 5*time.Second, func() bool { return reloads() > before })
}

// cdr is the subset of a CDR the tests look at.
type cdr struct {
	LegID        string     `json:"leg_id"`
	CallID       string     `json:"call_id"`
	ParentLegID  string     `json:"parent_leg_id"`
	Direction    string     `json:"direction"`
	Endpoint     string     `json:"endpoint"`
	BillingClass string     `json:"billing_class"`
	Reason       string     `json:"reason"`
	From         string     `json:"from"`
	To           string     `json:"to"`
	CallerID     string     `json:"caller_id"`
	User         string     `json:"user"`
	PhoneNumber  string     `json:"phone_number"`
	Trunk        string     `json:"trunk"`
	CreatedAt    time.Time  `json:"created_at"`
	AnsweredAt   *time.Time `json:"answered_at"`
	EndedAt      time.Time  `json:"ended_at"`
	BillableSecs int64      `json:"billable_seconds"`
	Disposition  string     `json:"disposition"`
	SIPCode      int        `json:"sip_code"`
	RefuseReason string     `json:"refuse_reason"`
	Media        *struct {
		PacketsIn      uint64 `json:"packets_in"`
		PacketsOut     uint64 `json:"packets_out"`
		RefusedPackets uint64 `json:"refused_packets"`
	} `json:"media"`
	Recording *struct {
		Path    string  `json:"path"`
		Seconds float64 `json:"seconds"`
	} `json:"recording"`
	Charge *struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
		Units    int64  `json:"units"`
	} `json:"charge"`
}

func parseCDRs(t *testing.T, b []byte) []cdr {
	t.Helper()
	var out []cdr
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var c cdr
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("bad CDR line %q: %v", sc.Text(), err)
		}
		out = append(out, c)
	}
	return out
}

// cdrs fetches CDRs over the API, waiting until at least n are there
// (a leg's CDR is written as it ends, a moment after the peer's BYE).
func (s *switchProc) cdrs(n int) []cdr {
	s.t.Helper()
	return s.cdrsWithin(n, 10*time.Second)
}

// cdrsWithin is cdrs waiting at most wait: a test that checks no CDR
// came after the ones it knows of waits out the whole time, so it says
// how long is enough.
func (s *switchProc) cdrsWithin(n int, wait time.Duration) []cdr {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		code, body := s.api("GET", "/v1/cdrs", nil)
		if code != 200 {
			s.t.Fatalf("GET /v1/cdrs: %d %s", code, body)
		}
		got := parseCDRs(s.t, body)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			// A test that means "no more than" waits out the whole
			// deadline: the log says so, to find such waits.
			s.t.Logf("cdrs: %d of the %d waited for, after %s", len(got), n, wait)
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cli runs a dialtone subcommand.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// sippResult is how a sipp run ended.
type sippResult struct {
	code int
	out  string
	dir  string
}

// sipp runs sipp to completion in its own directory.
func sipp(t *testing.T, args ...string) sippResult {
	t.Helper()
	return sippCtx(context.Background(), t, args...)
}

func sippCtx(ctx context.Context, t *testing.T, args ...string) sippResult {
	t.Helper()
	cmd := sippCmd(ctx, t, args...)
	out, err := cmd.CombinedOutput()
	res := sippResult{out: string(out), dir: cmd.Dir}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if res.code != 0 {
		logs, _ := filepath.Glob(filepath.Join(cmd.Dir, "*errors.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			res.out += "\n" + tail(string(b), 3000)
		}
	}
	return res
}

// sippCmd prepares a sipp command: a free control port on loopback, a
// bounded run time, logs in a temp dir.
func sippCmd(ctx context.Context, t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	requireTool(t, "sipp")
	base := []string{"-i", "127.0.0.1", "-ci", "127.0.0.1", "-cp", strconv.Itoa(freePort(t)), "-nostdin", "-trace_err"}
	if !hasArg(args, "-timeout") {
		base = append(base, "-timeout", "30s", "-timeout_error")
	}
	base = append(base, digestURIArgs(args)...)
	cmd := exec.CommandContext(ctx, "sipp", append(args, base...)...)
	cmd.Dir = t.TempDir()
	return cmd
}

// startSipp starts a sipp in the background (a callee or trunk) and
// returns a func that waits for it.
func startSipp(t *testing.T, args ...string) func() sippResult {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := sippCmd(ctx, t, args...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan sippResult, 1)
	go func() {
		err := cmd.Wait()
		res := sippResult{out: out.String(), dir: cmd.Dir}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			res.code = ee.ExitCode()
		}
		done <- res
	}()
	t.Cleanup(cancel)
	time.Sleep(200 * time.Millisecond) // let it bind
	var once sync.Once
	var res sippResult
	return func() sippResult {
		once.Do(func() {
			select {
			case res = <-done:
			case <-time.After(40 * time.Second):
				cancel()
				res = <-done
				res.code = -1
			}
		})
		return res
	}
}

// digestURIArgs makes a sipp phone hash its digest over the Request-URI,
// as phones do and the switch requires: sipp's default is the server's
// address, which is the Request-URI of the REGISTER scenarios only.
func digestURIArgs(args []string) []string {
	if !hasArg(args, "-au") || hasArg(args, "-auth_uri") || len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return nil
	}
	sf, service := argValue(args, "-sf"), argValue(args, "-s")
	b, err := os.ReadFile(sf)
	if err != nil || service == "" || !strings.Contains(string(b), " sip:[service]@[remote_ip]:[remote_port] SIP/2.0") {
		return nil
	}
	return []string{"-auth_uri", service + "@" + args[0]}
}

func argValue(args []string, name string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name {
			return args[i+1]
		}
	}
	return ""
}

func hasArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

func scenario(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "sipp", name)
}

// register registers user's contact at 127.0.0.1:port with sipp.
func (s *switchProc) register(t *testing.T, user, password string, port int) {
	t.Helper()
	res := sipp(t, s.addr(), "-sf", scenario("register.xml"), "-s", user, "-au", user, "-ap", password,
		"-key", "expires", "300", "-m", "1", "-p", strconv.Itoa(port))
	if res.code != 0 {
		t.Fatalf("register %s: sipp exit %d\n%s", user, res.code, res.out)
	}
}

// registerFor registers a contact for the rest of the test and removes it
// at the end, so later tests do not fork calls to a phone that is gone.
func (s *switchProc) registerFor(t *testing.T, user, password string, port int) {
	t.Helper()
	s.register(t, user, password, port)
	t.Cleanup(func() {
		_ = sipp(t, s.addr(), "-sf", scenario("register.xml"), "-s", user, "-au", user, "-ap", password,
			"-key", "expires", "0", "-m", "1", "-p", strconv.Itoa(port))
	})
}

// phone registers user at a free port and starts a sipp phone there with
// args (its scenario and options) for the rest of the test; the returned
// func waits for it.
func (s *switchProc) phone(t *testing.T, user, password string, args ...string) func() sippResult {
	t.Helper()
	port := freePort(t)
	s.registerFor(t, user, password, port)
	return startSipp(t, append(args, "-p", strconv.Itoa(port))...)
}

// mustSucceed waits for a background sipp and fails the test unless it
// exited 0.
func mustSucceed(t *testing.T, name string, wait func() sippResult) {
	t.Helper()
	if r := wait(); r.code != 0 {
		t.Fatalf("%s: sipp exit %d\n%s", name, r.code, r.out)
	}
}

// call places one authenticated call from user to target.
func (s *switchProc) call(t *testing.T, user, password, target string, holdMS int, extra ...string) sippResult {
	t.Helper()
	args := append([]string{s.addr(), "-sf", scenario("uac_auth.xml"), "-s", target, "-key", "caller", user,
		"-au", user, "-ap", password, "-d", strconv.Itoa(holdMS), "-m", "1", "-p", strconv.Itoa(freePort(t))}, extra...)
	return sipp(t, args...)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// byDirection returns the inbound and outbound legs of a two-leg call.
func byDirection(t *testing.T, legs []cdr) (in, out cdr) {
	t.Helper()
	if len(legs) != 2 {
		t.Fatalf("want 2 legs, got %d: %+v", len(legs), legs)
	}
	for _, l := range legs {
		if l.Direction == "inbound" {
			in = l
		} else {
			out = l
		}
	}
	if in.LegID == "" || out.LegID == "" {
		t.Fatalf("want one inbound and one outbound leg: %+v", legs)
	}
	return in, out
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%q not found in:\n%s", sub, tail(s, 3000))
	}
}
