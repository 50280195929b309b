package directory

import (
	"slices"
	"testing"

	"github.com/dialtone/dialtone/config"
)

func testConfig() *config.Config {
	return &config.Config{
		Path: "/etc/dialtone/dialtone.yaml",
		Roles: []config.Role{
			{Name: "boss", Permissions: []string{config.PermCallsInbound, config.PermCallsOutbound, config.PermCallsInternational, config.PermCallsPremium}},
			{Name: "agent", Permissions: []string{config.PermCallsInbound, config.PermCallsOutbound}},
			{Name: "lobby"},
		},
		Users: []config.User{
			{Extension: "1001", Name: "alice", Password: "pa", Role: "boss", CallerIDs: []string{"+14155550100", "+14155550101"}, VoicemailGreeting: "greetings/alice.wav"},
			{Extension: "1002", Name: "bob", DisplayName: "Bob B.", Password: "pb", Role: "agent", CallerIDs: []string{"+14155550100"}},
			{Extension: "1003", Password: "pc", Role: "lobby"},
		},
		Groups: []config.Group{{Name: "sales", Members: []string{"1001", "1002"}}, {Name: "empty"}},
		Numbers: []config.Number{
			{Number: "+14155550100", User: "1001"},
			{Number: "+14155550199", Group: "sales"},
			{Number: "+14155550198", Group: "nobody"},
		},
		Trunks: []config.Trunk{
			{Name: "carrier", AllowedSources: []string{"192.0.2.10", "198.51.100.0/24", "not an address"}},
			{Name: "backup", AllowedSources: []string{"2001:db8::/32"}},
		},
	}
}

func testDirectory() *Directory {
	return New(testConfig(), func(username, password string) string { return username + ":" + password })
}

func TestUserByExtensionOrName(t *testing.T) {
	d := testDirectory()
	for _, tt := range []struct {
		name, ext, display, greeting string
	}{
		{"1001", "1001", "alice", "/etc/dialtone/greetings/alice.wav"},
		{"alice", "1001", "alice", "/etc/dialtone/greetings/alice.wav"},
		{"bob", "1002", "Bob B.", ""},
		{"1003", "1003", "", ""},
		{"carol", "", "", ""},
		{"", "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := d.User(tt.name)
			if tt.ext == "" {
				if u != nil {
					t.Fatalf("User(%q) = %s, want none", tt.name, u.Extension)
				}
				return
			}
			if u == nil || u.Extension != tt.ext || u.DisplayName != tt.display || u.Greeting != tt.greeting {
				t.Fatalf("User(%q) = %+v, want extension %s display %q greeting %q", tt.name, u, tt.ext, tt.display, tt.greeting)
			}
		})
	}
	if d.User("1001") != d.User("alice") {
		t.Error("extension and name give two users")
	}
}

func TestUserKeepsDigestSecretsNotPasswords(t *testing.T) {
	u := testDirectory().User("1001")
	want := map[string]string{"1001": "1001:pa", "alice": "alice:pa"}
	if len(u.HA1) != len(want) || u.HA1["1001"] != want["1001"] || u.HA1["alice"] != want["alice"] {
		t.Errorf("HA1 = %v, want %v", u.HA1, want)
	}
	if u := testDirectory().User("1003"); len(u.HA1) != 1 {
		t.Errorf("a user without a name has secrets %v, want only the extension's", u.HA1)
	}
}

func TestPermissionsOfAUser(t *testing.T) {
	d := testDirectory()
	for _, tt := range []struct {
		user, perm string
		want       bool
	}{
		{"1001", config.PermCallsPremium, true},
		{"1002", config.PermCallsOutbound, true},
		{"1002", config.PermCallsInternational, false},
		{"1003", config.PermCallsInbound, false},
	} {
		if got := d.User(tt.user).May(tt.perm); got != tt.want {
			t.Errorf("%s may %s = %v, want %v", tt.user, tt.perm, got, tt.want)
		}
	}
}

func TestNumbersAndTheirOwners(t *testing.T) {
	d := testDirectory()
	for _, tt := range []struct {
		number string
		owners []string
		users  []string
	}{
		{"+14155550100", []string{"1001"}, []string{"1001"}},
		{"+14155550199", []string{"1001", "1002"}, []string{"1001", "1002"}},
		{"+14155550198", nil, nil}, // a group that does not exist
	} {
		t.Run(tt.number, func(t *testing.T) {
			n := d.Number(tt.number)
			if n == nil || !d.OwnNumber(tt.number) {
				t.Fatal("not found")
			}
			if got := d.Owners(n); !slices.Equal(got, tt.owners) {
				t.Errorf("Owners = %v, want %v", got, tt.owners)
			}
			var got []string
			for _, u := range d.OwnerUsers(n) {
				got = append(got, u.Extension)
			}
			if !slices.Equal(got, tt.users) {
				t.Errorf("OwnerUsers = %v, want %v", got, tt.users)
			}
		})
	}
	if d.Number("+14155550111") != nil || d.OwnNumber("+14155550111") {
		t.Error("a number the organization does not have is found")
	}
	if d.Number("+14155550100") == d.Number("+14155550199") {
		t.Error("two numbers share one entry")
	}
}

func TestGroups(t *testing.T) {
	d := testDirectory()
	for _, tt := range []struct {
		name    string
		members []string
		ok      bool
	}{
		{"sales", []string{"1001", "1002"}, true},
		{"empty", nil, true},
		{"support", nil, false},
	} {
		members, ok := d.Group(tt.name)
		if ok != tt.ok || !slices.Equal(members, tt.members) {
			t.Errorf("Group(%q) = %v, %v; want %v, %v", tt.name, members, ok, tt.members, tt.ok)
		}
	}
	if got := d.GroupNames(); len(got) != 2 || !got["sales"] || !got["empty"] {
		t.Errorf("GroupNames = %v", got)
	}
	if got := d.UserNames(); len(got) != 5 || !got["alice"] || !got["1003"] {
		t.Errorf("UserNames = %v", got)
	}
}

func TestTrunkBySourceAddress(t *testing.T) {
	d := testDirectory()
	for _, tt := range []struct {
		host, want string
	}{
		{"192.0.2.10", "carrier"},
		{"::ffff:192.0.2.10", "carrier"}, // IPv4-mapped, as a dual-stack socket reports it
		{"198.51.100.77", "carrier"},
		{"192.0.2.11", ""},
		{"2001:db8::1", "backup"},
		{"carrier.example", ""},
		{"", ""},
	} {
		got := ""
		if tr := d.TrunkFor(tt.host); tr != nil {
			got = tr.Name
		}
		if got != tt.want {
			t.Errorf("TrunkFor(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

func TestOutboundTrunkIsTheFirst(t *testing.T) {
	if tr := testDirectory().OutboundTrunk(); tr == nil || tr.Name != "carrier" {
		t.Errorf("OutboundTrunk = %v, want carrier", tr)
	}
	if tr := New(&config.Config{}, func(u, p string) string { return "" }).OutboundTrunk(); tr != nil {
		t.Errorf("OutboundTrunk without trunks = %v, want none", tr)
	}
}

func TestWhoRings(t *testing.T) {
	d := testDirectory()
	notAlice := func(u *User) bool { return u.Extension != "1001" }
	for _, tt := range []struct {
		name string
		got  []*User
		want []string
	}{
		{"all of a list, unknown skipped", d.Users([]string{"1002", "9999", "alice"}, nil), []string{"1002", "1001"}},
		{"filtered", d.Users([]string{"1001", "1002"}, notAlice), []string{"1002"}},
		{"a group", d.GroupUsers("sales", nil), []string{"1001", "1002"}},
		{"a group but the caller", d.GroupUsers("sales", notAlice), []string{"1002"}},
		{"an empty group", d.GroupUsers("empty", nil), nil},
		{"no such group", d.GroupUsers("support", nil), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, u := range tt.got {
				got = append(got, u.Extension)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("= %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCallerIDsOfAUser(t *testing.T) {
	d := testDirectory()
	for _, tt := range []struct {
		user, defaultID, asked string
		verified               bool
	}{
		{"1001", "+14155550100", "+14155550101", true},
		{"1001", "+14155550100", "+14155550199", false}, // the organization's, but not alice's
		{"1002", "+14155550100", "+14155550100", true},
		{"1003", "", "", false},
	} {
		u := d.User(tt.user)
		if got := u.DefaultCallerID(); got != tt.defaultID {
			t.Errorf("%s: DefaultCallerID = %q, want %q", tt.user, got, tt.defaultID)
		}
		if got := u.Verified(tt.asked); got != tt.verified {
			t.Errorf("%s: Verified(%q) = %v, want %v", tt.user, tt.asked, got, tt.verified)
		}
	}
}
