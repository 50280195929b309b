package calls

import (
	"errors"
	"fmt"
	"testing"

	orgdir "github.com/dialtone/dialtone/directory"
)

func TestRefusalsAreSaidAsSIPStatuses(t *testing.T) {
	refusal := func(kind error, reason string) error {
		return fmt.Errorf("route: %w", &orgdir.Refusal{Kind: kind, Reason: reason})
	}
	for _, tt := range []struct {
		name         string
		err          error
		code         int
		phrase, text string
	}{
		{"not found", refusal(orgdir.ErrNotFound, "no such user or number"), 404, "Not Found", "no such user or number"},
		{"forbidden", refusal(orgdir.ErrForbidden, "international calls not permitted"), 403, "Forbidden", "international calls not permitted"},
		{"nobody to ring", refusal(orgdir.ErrNobodyToRing, "no one else in the group"), 480, "Temporarily Unavailable", "no one else in the group"},
		{"no trunk", refusal(orgdir.ErrNoTrunk, "no trunk to the public network"), 503, "Service Unavailable", "no trunk to the public network"},
		{"malformed", refusal(orgdir.ErrMalformed, "unreadable P-Preferred-Identity"), 400, "Bad Request", "unreadable P-Preferred-Identity"},
		{"a loop", fmt.Errorf("1001: %w", orgdir.ErrForwardLoop), 482, "Loop Detected", ""},
		{"the switch's own", Refuse(486, "Busy Here", "concurrent call limit reached"), 486, "Busy Here", "concurrent call limit reached"},
		{"anything else", errors.New("boom"), 500, "Server Internal Error", "internal error"},
	} {
		ce := RefusalOf(tt.err)
		if ce.Code != tt.code || ce.Phrase != tt.phrase || ce.Reason != tt.text {
			t.Errorf("%s: %d %s %q, want %d %s %q", tt.name, ce.Code, ce.Phrase, ce.Reason, tt.code, tt.phrase, tt.text)
		}
	}
}
