package directory

import (
	"testing"

	"github.com/dialtone/dialtone/config"
)

func TestOutsideCallOfAUser(t *testing.T) {
	d := testDirectory()
	for _, tt := range []struct {
		user, callerID, to, rule string
	}{
		{"1001", "+14155550100", "+19002345678", ""},
		{"1001", "+14155550100", "+442071234567", ""},
		{"1002", "+14155550100", "+12125550123", ""},
		{"1002", "+14155550100", "+442071234567", config.PermCallsInternational},
		{"1002", "+14155550100", "+19002345678", config.PermCallsPremium},
		{"1002", "", "+12125550123", config.RuleCallerID},
		{"1003", "+14155550100", "+12125550123", config.PermCallsOutbound},
	} {
		r := d.User(tt.user).CheckOutsideCall(tt.callerID, tt.to)
		if got := ruleOf(r); got != tt.rule {
			t.Errorf("%s from %q to %s: refused for %q, want %q", tt.user, tt.callerID, tt.to, got, tt.rule)
		}
	}
}

func TestMayCallOutsideNeedsEveryUser(t *testing.T) {
	d := testDirectory()
	alice, bob := d.User("1001"), d.User("1002")
	for _, tt := range []struct {
		name      string
		users     []*User
		to        string
		who, rule string
	}{
		{"one allowed", []*User{alice}, "+19002345678", "", ""},
		{"the least privileged decides", []*User{alice, bob}, "+19002345678", "1002", config.PermCallsPremium},
		{"all allowed", []*User{alice, bob}, "+12125550123", "", ""},
		{"nobody", nil, "+12125550123", "", config.PermCallsOutbound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			who, r := MayCallOutside(tt.users, tt.to)
			if who != tt.who || ruleOf(r) != tt.rule {
				t.Errorf("= %q, %q; want %q, %q", who, ruleOf(r), tt.who, tt.rule)
			}
		})
	}
}

func TestRefusedForwarding(t *testing.T) {
	d := testDirectory()
	bob := d.User("1002")
	for _, tt := range []struct {
		name   string
		f      config.Forwarding
		fields []string
	}{
		{"inside targets", config.Forwarding{Always: "1001", Busy: "group:sales", NoAnswer: "voicemail"}, nil},
		{"own number", config.Forwarding{Always: "+14155550199"}, nil},
		{"premium refused", config.Forwarding{Busy: "+19002345678"}, []string{"busy"}},
		{"national allowed", config.Forwarding{Unregistered: "+12125550123", NoAnswer: "+442071234567"}, []string{"no_answer"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fields []string
			for _, r := range d.RefusedForwarding(tt.f, []*User{bob}) {
				fields = append(fields, r.Field)
			}
			if len(fields) != len(tt.fields) || (len(fields) > 0 && fields[0] != tt.fields[0]) {
				t.Errorf("refused %v, want %v", fields, tt.fields)
			}
		})
	}
}

func ruleOf(r *config.CallRefusal) string {
	if r == nil {
		return ""
	}
	return r.Rule
}
