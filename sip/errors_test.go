package sip

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/calls"
)

// The call loop names the statuses it ends legs with and tells callers
// (package calls knows no SIP); what the switch says on the wire is
// sipgo's status of the same name.
func TestTheCallLoopsStatusesAreSIPs(t *testing.T) {
	for _, tt := range []struct {
		name       string
		loop, wire int
	}{
		{"Trying", calls.StatusTrying, sip.StatusTrying},
		{"Ringing", calls.StatusRinging, sip.StatusRinging},
		{"SessionProgress", calls.StatusSessionProgress, sip.StatusSessionInProgress},
		{"OK", calls.StatusOK, sip.StatusOK},
		{"BadRequest", calls.StatusBadRequest, sip.StatusBadRequest},
		{"Unauthorized", calls.StatusUnauthorized, sip.StatusUnauthorized},
		{"PaymentRequired", calls.StatusPaymentRequired, sip.StatusPaymentRequired},
		{"Forbidden", calls.StatusForbidden, sip.StatusForbidden},
		{"NotFound", calls.StatusNotFound, sip.StatusNotFound},
		{"ProxyAuthRequired", calls.StatusProxyAuthRequired, sip.StatusProxyAuthRequired},
		{"RequestTimeout", calls.StatusRequestTimeout, sip.StatusRequestTimeout},
		{"TemporarilyUnavailable", calls.StatusTemporarilyUnavailable, sip.StatusTemporarilyUnavailable},
		{"CallTransactionDoesNotExist", calls.StatusCallTransactionDoesNotExist, sip.StatusCallTransactionDoesNotExists},
		{"LoopDetected", calls.StatusLoopDetected, sip.StatusLoopDetected},
		{"BusyHere", calls.StatusBusyHere, sip.StatusBusyHere},
		{"RequestTerminated", calls.StatusRequestTerminated, sip.StatusRequestTerminated},
		{"NotAcceptableHere", calls.StatusNotAcceptableHere, sip.StatusNotAcceptableHere},
		{"RequestPending", calls.StatusRequestPending, sip.StatusRequestPending},
		{"InternalServerError", calls.StatusInternalServerError, sip.StatusInternalServerError},
		{"ServiceUnavailable", calls.StatusServiceUnavailable, sip.StatusServiceUnavailable},
		{"BusyEverywhere", calls.StatusBusyEverywhere, sip.StatusGlobalBusyEverywhere},
		{"Decline", calls.StatusDecline, sip.StatusGlobalDecline},
	} {
		if tt.loop != tt.wire {
			t.Errorf("%s: the loop's %d is SIP's %d", tt.name, tt.loop, tt.wire)
		}
	}
}
