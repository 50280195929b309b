package directory

import (
	"errors"
	"testing"

	"github.com/dialtone/dialtone/config"
)

type memForwarding map[string]config.Forwarding

func (m memForwarding) LoadForwarding() (map[string]config.Forwarding, error) { return m, nil }
func (m memForwarding) SaveForwarding(ext string, f config.Forwarding) error {
	m[ext] = f
	return nil
}

func TestForwardingSetThroughTheAPI(t *testing.T) {
	d := testDirectory()
	store := memForwarding{"1002": {Busy: "1001"}, "9999": {Busy: "1001"}}
	fwd, err := LoadForwardings(store, d)
	if err != nil {
		t.Fatal(err)
	}
	alice, bob, lobby := d.User("1001"), d.User("1002"), d.User("1003")
	alice.Forwarding = config.Forwarding{NoAnswer: "voicemail"}
	if got := fwd.Of(bob); got.Busy != "1001" {
		t.Errorf("bob's saved rules: %+v", got)
	}
	if got := fwd.Of(alice); got.NoAnswer != "voicemail" {
		t.Errorf("alice's config rules: %+v", got)
	}
	for _, tt := range []struct {
		name  string
		u     *User
		rules config.Forwarding
		kind  error
		rule  string // the permission refused
	}{
		{"to another user", lobby, config.Forwarding{Always: "1001"}, nil, ""},
		{"to the organization's own number", lobby, config.Forwarding{Always: "+14155550199"}, nil, ""},
		{"to an unknown user", bob, config.Forwarding{Busy: "carol"}, ErrInvalid, ""},
		{"outside without calls.outbound", lobby, config.Forwarding{Always: "+12125550123"}, nil, config.PermCallsOutbound},
		{"abroad without calls.international", bob, config.Forwarding{Busy: "+442071234567"}, nil, config.PermCallsInternational},
		{"cleared", bob, config.Forwarding{}, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := fwd.Of(tt.u)
			err := fwd.Set(d, tt.u, tt.rules)
			var refused *ForwardingRefusedError
			switch {
			case tt.kind != nil || tt.rule != "":
				if (tt.kind != nil && !errors.Is(err, tt.kind)) || (tt.rule != "" && (!errors.As(err, &refused) || refused.Rule != tt.rule)) {
					t.Fatalf("error %v, want %v %s", err, tt.kind, tt.rule)
				}
				if fwd.Of(tt.u) != before {
					t.Fatal("a refused change was kept")
				}
			case err != nil:
				t.Fatal(err)
			case fwd.Of(tt.u) != tt.rules || store[tt.u.Extension] != tt.rules:
				t.Fatalf("rules %+v, saved %+v", fwd.Of(tt.u), store[tt.u.Extension])
			}
		})
	}
}

func TestForwardingAReloadNoLongerPermits(t *testing.T) {
	d := testDirectory()
	fwd, err := LoadForwardings(memForwarding{"1001": {Always: "+19002345678"}, "1002": {Busy: "1001"}}, d)
	if err != nil {
		t.Fatal(err)
	}
	if r := fwd.Refused(d); len(r) != 0 {
		t.Fatalf("refused before the reload: %+v", r)
	}
	cfg := testConfig()
	cfg.Users[0].Role = "agent" // alice loses calls.premium
	r := fwd.Refused(New(cfg, func(u, p string) string { return "" }))
	if len(r) != 1 || r[0].User != "1001" || r[0].Field != "always" || r[0].Rule != config.PermCallsPremium {
		t.Fatalf("refused after the reload: %+v", r)
	}
}
