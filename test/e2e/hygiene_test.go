package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMetricsNeedAnOrganizationToken(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1002": "    api_token: bob-token-123"}})
	for _, tt := range []struct {
		name, auth string
		code       int
	}{
		{"no token", "", 401},
		{"a wrong token", "Bearer wrong-token", 401},
		{"a user's token", "Bearer bob-token-123", 403},
		{"the organization's token", "Bearer test-token-123", 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := sw.api("GET", "/metrics", nil, "Authorization", tt.auth)
			if code != tt.code {
				t.Fatalf("%d, want %d", code, tt.code)
			}
			if leaked := strings.Contains(string(body), "dialtone_billing_balance"); leaked != (tt.code == 200) {
				t.Fatalf("balance shown: %v\n%s", leaked, tail(string(body), 300))
			}
		})
	}
}

func TestMetricsOnTheirOwnAddressNeedNoToken(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	sw := startSwitch(t, switchOpts{HTTPExtra: fmt.Sprintf("  metrics_listen: 127.0.0.1:%d", port)})
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "dialtone_billing_balance") {
		t.Fatalf("metrics_listen: %d\n%s", res.StatusCode, tail(string(body), 300))
	}
	if code, _ := sw.api("GET", "/metrics", nil); code != 404 {
		t.Fatalf("/metrics on the API's address: %d, want 404 (it moved to metrics_listen)", code)
	}
}

func TestAReloadThatWouldEmptyTheSwitchIsRefused(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	full, err := os.ReadFile(sw.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	refusals := func() int { return strings.Count(sw.log.String(), "reload refused") }
	hup := func(content, want string) {
		t.Helper()
		before := refusals()
		if err := os.WriteFile(sw.cfgPath, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := sw.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the refusal", 5*time.Second, func() bool { return refusals() > before })
		mustContain(t, sw.log.String(), want)
	}
	// A file cut short before the users (a full disk, an editor killed).
	cut := string(full[:strings.Index(string(full), "users:")])
	hup(cut, "users: at least one user is needed")
	// Every number left out: the three the organization rents would stop renewing.
	i, j := strings.Index(string(full), "numbers:"), strings.Index(string(full), "trunks:")
	noNumbers := string(full[:i]) + string(full[j:])
	hup(noNumbers, "reloading it would release all 3 the organization rents (set allow_releasing_all_numbers: true to mean it)")

	code, body := sw.api("GET", "/v1/numbers", nil)
	if code != 200 || strings.Count(string(body), `"number"`) != 3 {
		t.Fatalf("numbers after the refused reloads: %d %s", code, body)
	}
	// Said explicitly, it is applied.
	sw.reload(t, func(string) string { return noNumbers + "allow_releasing_all_numbers: true\n" })
	code, body = sw.api("GET", "/v1/numbers", nil)
	if code != 200 || strings.Contains(string(body), `"number"`) {
		t.Fatalf("numbers after releasing them on purpose: %d %s", code, body)
	}
}

func TestAPIBodiesAreReadStrictly(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{NoNumbers: true})
	for _, tt := range []struct {
		name, method, path, body string
		hdr                      []string
		want                     string
	}{
		{"a top-up with the amount twice", "POST", "/v1/topups", `{"amount":"1.00","amount":"1000.00"}`, []string{"Idempotency-Key", "k1"}, `duplicate key \"amount\"`},
		{"a top-up of 1e30", "POST", "/v1/topups", `{"amount":"1e30"}`, []string{"Idempotency-Key", "k2"}, "above the maximum of 10000.00 USD"},
		{"a top-up of a tenth of a cent", "POST", "/v1/topups", `{"amount":"0.001"}`, []string{"Idempotency-Key", "k3"}, "amount 0.001 has 3 decimals; USD has 2"},
		{"a number with its owner twice", "POST", "/v1/numbers", `{"number":"+18885550199","user":"carol","user":"1001"}`, nil, `duplicate key \"user\"`},
		{"a number with an unknown field", "POST", "/v1/numbers", `{"number":"+18885550199","owner":"carol"}`, nil, `unknown field \"owner\"`},
		{"forwarding with a rule twice", "PUT", "/v1/users/1002/forwarding", `{"busy":"1003","busy":"+14155550199"}`, nil, `duplicate key \"busy\"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := sw.api(tt.method, tt.path, strings.NewReader(tt.body), tt.hdr...)
			if code != 400 || !strings.Contains(string(body), tt.want) {
				t.Fatalf("%d %s, want 400 with %s", code, body, tt.want)
			}
		})
	}
	// Nothing refused was credited, and the balance reads as money.
	if b, _ := sw.balance(); b != "25.00" {
		t.Fatalf("balance %q, want \"25.00\"", b)
	}
}
