package calls

import (
	"testing"

	orgdir "github.com/dialtone/dialtone/directory"
)

// The callee sees the calling user when there is one, else the From and
// display name of the caller's INVITE (a call from the trunk).
func TestARingRequestSaysWhoCalls(t *testing.T) {
	origin := Origin{From: "+14155550100", Display: "Carrier"}
	for _, tt := range []struct {
		name          string
		caller        *orgdir.User
		user, display string
	}{
		{"a user", &orgdir.User{Extension: "1002", DisplayName: "Bob"}, "1002", "Bob"},
		{"the trunk", nil, "+14155550100", "Carrier"},
	} {
		r := RingRequest{Origin: origin, Caller: tt.caller}
		if r.FromUser() != tt.user || r.FromDisplay() != tt.display {
			t.Errorf("%s: %q %q, want %q %q", tt.name, r.FromUser(), r.FromDisplay(), tt.user, tt.display)
		}
	}
}
