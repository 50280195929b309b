package e2e

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLegsUpAtACrashGetAnInterruptedCDROnRestart(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	phonePort := freePort(t)
	sw.register(t, "1001", "alice-secret", phonePort)
	startSipp(t, "-sn", "uas", "-p", strconv.Itoa(phonePort), "-m", "1", "-timeout", "40s")
	startSipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+14155550100", "-key", "caller", "+16505550123",
		"-d", "30000", "-m", "1", "-p", strconv.Itoa(sw.trunk), "-timeout", "40s")
	waitFor(t, "the call to be answered", 10*time.Second, func() bool { return strings.Contains(sw.log.String(), "call answered") })
	time.Sleep(200 * time.Millisecond) // the legs' "started" records are written asynchronously
	sw.kill()

	again := startSwitch(t, switchOpts{Data: sw.data, Ports: sw})
	legs := again.cdrs(2)
	if len(legs) != 2 {
		t.Fatalf("want the 2 legs that were up, got %+v", legs)
	}
	for _, l := range legs {
		if l.Disposition != "interrupted" || l.BillableSecs != 0 {
			t.Errorf("leg up at the crash: %+v", l)
		}
	}
	mustContain(t, again.log.String(), "legs interrupted by a restart recorded")
	again.stop()
	// And a second restart does not write them again.
	third := startSwitch(t, switchOpts{Data: sw.data, Ports: sw})
	if n := len(third.cdrs(0)); n != 2 {
		t.Fatalf("after a second restart: %d CDRs, want 2", n)
	}
}

func TestSIGTERMEndsCallsInProgressAndWritesTheirCDRs(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1", "-timeout", "40s")
	caller := startSipp(t, sw.addr(), "-sf", scenario("uac_auth.xml"), "-s", "+14155550199", "-key", "caller", "1001",
		"-au", "1001", "-ap", "alice-secret", "-d", "30000", "-m", "1", "-p", strconv.Itoa(freePort(t)), "-timeout", "40s")
	waitFor(t, "the call to be answered", 10*time.Second, func() bool { return strings.Contains(sw.log.String(), "call answered") })
	start := time.Now()
	sw.stop() // grace is 3 s in tests: then the switch hangs up both sides
	if took := time.Since(start); took > 12*time.Second {
		t.Errorf("shutdown took %s", took)
	}
	mustContain(t, sw.log.String(), "shutdown: hanging up calls still in progress")
	_ = trunk()
	_ = caller()

	// The CLI reads the stopped switch's data directory.
	out, errOut, code := cli(t, "cdr", "list", "--data", sw.data, "--format", "csv")
	if code != 0 {
		t.Fatalf("cdr list: exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "leg_id" {
		t.Fatalf("want a header and 2 legs, got:\n%s", out)
	}
	for _, r := range rows[1:] {
		if r[17] != "answered" {
			t.Errorf("leg ended by shutdown: %v", r)
		}
	}
	jsonOut, _, code := cli(t, "cdr", "list", "--data", sw.data, "--since", "1h")
	if code != 0 || len(parseCDRs(t, []byte(jsonOut))) != 2 {
		t.Fatalf("cdr list --since 1h: exit %d\n%s", code, jsonOut)
	}
	future, _, _ := cli(t, "cdr", "list", "--data", sw.data, "--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if strings.TrimSpace(future) != "" {
		t.Errorf("--since in the future listed legs:\n%s", future)
	}
}

func TestCheckConfigNamesFileLineAndField(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("roles:\n  - name: agent\n    permissions: [calls.outbound]\nusers:\n  - extension: \"1001\"\n    password: x\n    role: boss\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := cli(t, "check-config", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	mustContain(t, errOut, bad+":7: users[0].role: unknown role \"boss\"")

	demo, _, code := cli(t, "demo-config")
	if code != 0 {
		t.Fatal("demo-config failed")
	}
	good := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(good, []byte(demo), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, "check-config", good)
	if code != 0 {
		t.Fatalf("the demo config does not check: %s", errOut)
	}
	mustContain(t, out, "ok")
}

func TestAPIRequiresTheBearerToken(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	code, _ := sw.api("GET", "/v1/cdrs", nil, "Authorization", "Bearer wrong")
	if code != 401 {
		t.Fatalf("wrong token: %d, want 401", code)
	}
	code, body := sw.api("GET", "/metrics", nil)
	if code != 200 || !strings.Contains(string(body), "dialtone_active_calls") || !strings.Contains(string(body), "dialtone_registrations") {
		t.Fatalf("metrics: %d\n%s", code, tail(string(body), 500))
	}
}

func TestAUsersAPITokenHasOnlyTheUsersPermissions(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1002": "    api_token: bob-token-123"}})
	for _, tt := range []struct {
		name, path, token string
		code              int
	}{
		{"a user without recording.listen may not fetch recordings", "/v1/recordings/some-leg", "bob-token-123", 403},
		{"a user token may not read the organization's CDRs", "/v1/cdrs", "bob-token-123", 403},
		{"the organization token may", "/v1/recordings/some-leg", "test-token-123", 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := sw.api("GET", tt.path, nil, "Authorization", "Bearer "+tt.token)
			if code != tt.code || !strings.HasPrefix(strings.TrimSpace(string(body)), `{"error":`) {
				t.Fatalf("GET %s: %d %s, want %d with a JSON error", tt.path, code, body, tt.code)
			}
		})
	}
	t.Run("a token removed from the config is refused after SIGHUP, a new one works", func(t *testing.T) {
		sw.reload(t, func(cfg string) string {
			return strings.Replace(cfg, "api_token: bob-token-123", "api_token: bob-token-456", 1)
		})
		for token, want := range map[string]int{"bob-token-123": 401, "bob-token-456": 403} {
			if code, body := sw.api("GET", "/v1/cdrs", nil, "Authorization", "Bearer "+token); code != want {
				t.Errorf("GET /v1/cdrs with %s: %d %s, want %d", token, code, body, want)
			}
		}
	})
}
