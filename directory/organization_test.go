package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/internal/testorg"
)

// toldNumbers keeps each set of numbers an Organization tells.
type toldNumbers struct{ sets [][]string }

func (n *toldNumbers) tell(_ context.Context, numbers []config.Number) error {
	var set []string
	for _, num := range numbers {
		set = append(set, num.Number)
	}
	n.sets = append(n.sets, set)
	return nil
}

func (n *toldNumbers) last() string {
	if len(n.sets) == 0 {
		return "(never told)"
	}
	return strings.Join(n.sets[len(n.sets)-1], ",")
}

// testOrganization is the permissions test config's organization, with
// the forwarding saved in fwd (nil: none); log gets what it logs.
func testOrganization(t *testing.T, yaml string, fwd ForwardingStore, told *toldNumbers) (*Organization, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	opts := OrganizationOptions{HA1: func(u, p string) string { return u + ":" + p }, Forwarding: fwd,
		Numbers: &memNumbers{}, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	if told != nil {
		opts.NumbersChanged = told.tell
	}
	o, err := NewOrganization(parseConfig(t, yaml), opts)
	if err != nil {
		t.Fatal(err)
	}
	return o, &log
}

func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPutForwardingRefusesWhatTheUserMayNotCall(t *testing.T) {
	tests := []struct {
		name, path, body string
		ok               bool
		rule             string
	}{
		{"a premium number for a user who may not call out", "/v1/users/1003/forwarding", `{"always":"+19002345678"}`, false, "calls.outbound"},
		{"a premium number for a user who may call out", "/v1/users/bob/forwarding", `{"no_answer":"+19002345678"}`, false, "calls.premium"},
		{"abroad for a user who may not", "/v1/users/bob/forwarding", `{"busy":"+61291234567"}`, false, "calls.international"},
		{"a number at home", "/v1/users/bob/forwarding", `{"busy":"+14155550199"}`, true, ""},
		{"the organization's own number rings inside", "/v1/users/carol/forwarding", `{"always":"+14155550100"}`, true, ""},
		{"another user", "/v1/users/carol/forwarding", `{"always":"1001"}`, true, ""},
		{"a number rented with forwarding its owner may not call", "/v1/numbers", `{"number":"+14155550103","user":"carol","forwarding":{"always":"+14155550199"}}`, false, "calls.outbound"},
		{"a group's number forwarding abroad", "/v1/numbers", `{"number":"+14155550103","group":"sales","forwarding":{"always":"+61291234567"}}`, false, "calls.international"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			told := &toldNumbers{}
			o, _ := testOrganization(t, testorg.PermissionsYAML, nil, told)
			var err error
			if tt.path == "/v1/numbers" {
				var n config.Number
				if err := json.Unmarshal([]byte(tt.body), &n); err != nil {
					t.Fatal(err)
				}
				_, err = o.AddNumber(context.Background(), n)
			} else {
				var f config.Forwarding
				if err := json.Unmarshal([]byte(tt.body), &f); err != nil {
					t.Fatal(err)
				}
				err = o.SetForwarding(strings.Split(tt.path, "/")[3], f)
			}
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			// Package api answers a ForwardingRefusedError 422 with its
			// fields (TestSwitchErrorsAreAnsweredWithTheirStatus).
			var refused *ForwardingRefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("error %v, want a forwarding refusal", err)
			}
			if refused.Rule != tt.rule || !strings.Contains(refused.Error(), tt.rule) {
				t.Fatalf("error %+v, want the rule %s named", refused, tt.rule)
			}
			for _, ext := range []string{"1001", "1002", "1003"} {
				if f, _ := o.Forwarding(ext); !f.IsZero() {
					t.Fatalf("a refused request set %s's forwarding: %+v", ext, f)
				}
			}
			if n := o.Numbers(); len(n) != 2 {
				t.Fatalf("a refused request changed the numbers: %+v", n)
			}
			if len(told.sets) != 0 {
				t.Fatalf("a refused number was told to the meter: %v", told.sets)
			}
		})
	}
}

func TestForwardingOfAnUnknownUserIsNotFound(t *testing.T) {
	o, _ := testOrganization(t, testorg.PermissionsYAML, nil, nil)
	if _, err := o.Forwarding("9999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GET: %v, want ErrNotFound", err)
	}
	if err := o.SetForwarding("9999", config.Forwarding{Busy: "1001"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("PUT: %v, want ErrNotFound", err)
	}
}

func TestForwardingSetThroughTheAPIWinsOverTheConfigAndIsLogged(t *testing.T) {
	o, log := testOrganization(t, testorg.PermissionsYAML, memForwarding{}, nil)
	rules := config.Forwarding{Busy: "1001"}
	if err := o.SetForwarding("bob", rules); err != nil {
		t.Fatal(err)
	}
	if got, _ := o.Forwarding("1002"); got != rules {
		t.Errorf("GET after PUT: %+v, want %+v", got, rules)
	}
	if got := o.ForwardingOf(o.Directory().User("1002")); got != rules {
		t.Errorf("what a call follows: %+v, want %+v", got, rules)
	}
	if !strings.Contains(log.String(), "forwarding updated") || !strings.Contains(log.String(), "user=1002") {
		t.Errorf("log %q, want the update logged under the extension", log.String())
	}
	o.Reload(context.Background(), parseConfig(t, testorg.PermissionsYAML))
	if got, _ := o.Forwarding("bob"); got != rules {
		t.Errorf("after a reload: %+v, want the API's %+v", got, rules)
	}
}

func TestNumbersRentedThroughTheAPIRingAndAreTold(t *testing.T) {
	told := &toldNumbers{}
	o, log := testOrganization(t, testorg.PermissionsYAML, nil, told)
	ctx := context.Background()
	n, err := o.AddNumber(ctx, config.Number{Number: "+1 415 555 0103", User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if n.Number != "+14155550103" || n.User != "1001" {
		t.Fatalf("added %+v, want it stored in E.164 under the extension", n)
	}
	if d := o.Directory(); d.Number("+14155550103") == nil || !slices.ContainsFunc(d.Config().Numbers, func(c config.Number) bool { return c.Number == "+14155550103" }) {
		t.Fatal("the directory now does not have the number added, or its config does not list it")
	}
	if got := told.last(); got != "+14155550100,+14155550102,+14155550103" {
		t.Errorf("told %s after the add, want every number", got)
	}
	if !strings.Contains(log.String(), "number added") {
		t.Errorf("log %q, want the number added logged", log.String())
	}
	if got := o.Numbers(); len(got) != 3 || got[2].Source != "api" || got[0].Source != "config" {
		t.Errorf("listed %+v, want the config's then the API's", got)
	}

	// A reload keeps the API's numbers, and tells the new set.
	reloaded := strings.Replace(testorg.PermissionsYAML, "+14155550102", "+14155550104", 1)
	o.Reload(ctx, parseConfig(t, reloaded))
	if d := o.Directory(); d.Number("+14155550103") == nil || d.Number("+14155550104") == nil || d.Number("+14155550102") != nil {
		t.Fatal("after the reload the directory does not have the reloaded config's numbers and the API's")
	}
	if got := told.last(); got != "+14155550100,+14155550104,+14155550103" {
		t.Errorf("told %s after the reload, want the reloaded set", got)
	}

	if err := o.RemoveNumber(ctx, "+14155550103"); err != nil {
		t.Fatal(err)
	}
	if o.Directory().Number("+14155550103") != nil {
		t.Error("a removed number still rings")
	}
	if got := told.last(); got != "+14155550100,+14155550104" {
		t.Errorf("told %s after the removal, want it gone", got)
	}
	if err := o.RemoveNumber(ctx, "+14155550100"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a config number: %v, want ErrNotFound", err)
	}
}

func TestAReloadLogsForwardingItNoLongerPermits(t *testing.T) {
	o, log := testOrganization(t, testorg.PermissionsYAML, memForwarding{"1002": {Busy: "+14155550199"}}, nil)
	if strings.Contains(log.String(), "no longer permitted") {
		t.Fatalf("warned before the reload: %s", log.String())
	}
	// bob loses calls.outbound.
	revoked := strings.Replace(testorg.PermissionsYAML, "    role: agent", "    role: inbound-only", 1)
	if revoked == testorg.PermissionsYAML {
		t.Fatal("the test's edit changed nothing")
	}
	o.Reload(context.Background(), parseConfig(t, revoked))
	if !strings.Contains(log.String(), "forwarding set through the API is no longer permitted") || !strings.Contains(log.String(), "user=1002") {
		t.Errorf("log %q, want bob's rule warned about", log.String())
	}
	if got, _ := o.Forwarding("1002"); got.Busy != "+14155550199" {
		t.Errorf("the refused rule was dropped: %+v; it is kept for a later reload", got)
	}
}
