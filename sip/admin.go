package sip

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
)

// Contact is one live contact of a user's phone.
type Contact struct {
	User      string `json:"user"`
	Contact   string `json:"contact"`
	Source    string `json:"source"`
	Transport string `json:"transport"`
	Expires   string `json:"expires"`
	Instance  string `json:"instance,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// Registrations are the live contacts, by user.
func (sw *Switch) Registrations() []Contact {
	out := []Contact{}
	for _, ext := range sw.reg.users() {
		for _, b := range sw.reg.lookup(ext) {
			out = append(out, Contact{User: ext, Contact: b.Contact.String(), Source: b.Source, Transport: b.Transport,
				Expires: b.Expires.UTC().Format("2006-01-02T15:04:05Z"), Instance: b.Instance, UserAgent: b.UserAgent})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// ActiveCall is a call in progress, as it was placed.
type ActiveCall struct {
	CallID string `json:"call_id"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// Calls are the calls in progress.
func (sw *Switch) Calls() []ActiveCall {
	out := []ActiveCall{}
	sw.callsByID.Range(func(k, v any) bool {
		c := v.(*calls.Call)
		// Only what never changes after the INVITE: legs move in transfers.
		o := c.Origin()
		out = append(out, ActiveCall{CallID: c.ID(), From: o.From, To: o.Dialed})
		return true
	})
	return out
}

// RecordCall starts recording an answered call on demand and returns the
// recording's path. The WAV covers the call from now on, starting with
// the recording announcement when one is configured. Errors are of the
// directory's kinds, as the API's other administrative changes:
// ErrNotFound (no such call), ErrConflict (nothing to record), else the
// switch's failure.
func (sw *Switch) RecordCall(ctx context.Context, callID string) (string, error) {
	v, ok := sw.callsByID.Load(callID)
	if !ok {
		return "", orgdir.WithKind(orgdir.ErrNotFound, fmt.Errorf("no call %q in progress", callID))
	}
	c := v.(*calls.Call)
	path, err := c.RecordOnDemand(ctx)
	switch {
	case errors.Is(err, calls.ErrNothingToRecord):
		return "", orgdir.WithKind(orgdir.ErrConflict, fmt.Errorf("call %s has no anchored media to record", c.ID()))
	case errors.Is(err, calls.ErrCallBusy):
		return "", orgdir.WithKind(orgdir.ErrConflict, fmt.Errorf("call %s ended or is busy", c.ID()))
	}
	return path, err
}
