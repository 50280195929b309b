package dialer

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dialtone/dialtone/calls"
)

// The engine's refusals reach the dialer as they are: no translation in
// the wiring that could drop the sentinel or say "refused" twice.
func TestEngineRefusalIsTheDialers(t *testing.T) {
	err := fmt.Errorf("%w: caller ID not allowed", calls.ErrRefused)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("errors.Is(%q, ErrRefused) = false, want true", err)
	}
	if got, want := err.Error(), "refused: caller ID not allowed"; got != want {
		t.Errorf("refusal reads %q, want %q", got, want)
	}
}
