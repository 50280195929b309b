package calls

import (
	"context"
	"errors"
	"time"

	orgdir "github.com/dialtone/dialtone/directory"
)

// What the switch's in-dialog handlers (re-INVITE, REFER) and its API
// ask of a call that is up. Each runs in the call's goroutine, which
// owns the call's legs and media, through its inbox.

// Errors of RecordOnDemand.
var (
	// ErrNothingToRecord: the call's media is not anchored.
	ErrNothingToRecord = errors.New("no anchored media to record")
	// ErrCallBusy: the call ended, or did not take the request in time.
	ErrCallBusy = errors.New("call ended or is busy")
)

// FollowReoffer points the call's media at where leg l's new offer
// (from the address from) wants its audio, and holds or resumes the
// media timeout; unless the call has ended.
func (c *Call) FollowReoffer(l *CallLeg, offer []byte, from string) {
	c.do(func() { c.followOffer(l, offer, from) })
}

// StartBlindTransfer connects the peer of the transferor's leg x with
// what user u dialled (RFC 3515). The transferor hears how it goes
// through its dialog's ReportTransfer; a call that has ended answers 481.
func (c *Call) StartBlindTransfer(x *CallLeg, u *orgdir.User, dialed string) {
	c.transferInCall(x, func() { c.blindTransfer(x, u, dialed) })
}

// StartAttendedTransfer joins the peer of the transferor's leg x with
// the other party of the transferor's consultation call, whose dialog r
// names (RFC 3891 Replaces).
func (c *Call) StartAttendedTransfer(x *CallLeg, u *orgdir.User, r *Replaces) {
	c.transferInCall(x, func() { c.attendedTransfer(x, u, r) })
}

// transferInCall hands a transfer to the call's goroutine; if the call
// has ended, the transferor hears 481.
func (c *Call) transferInCall(x *CallLeg, work func()) {
	select {
	case c.inbox <- work:
	case <-c.finished:
		c.notifyRefer(x, StatusCallTransactionDoesNotExist, "Call/Transaction Does Not Exist")
	}
}

// RecordOnDemand starts recording the call now and returns the
// recording's path: the WAV covers the call from now on, starting with
// the recording announcement when one is configured. A call already
// recorded returns its recording.
func (c *Call) RecordOnDemand(ctx context.Context) (string, error) {
	result := make(chan string, 1)
	c.do(func() {
		path := ""
		if c.record(nil) {
			path = c.RecordPath
		}
		result <- path
	})
	select {
	case path := <-result:
		if path == "" {
			return "", ErrNothingToRecord
		}
		return path, nil
	case <-time.After(3 * time.Second):
		return "", ErrCallBusy
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
