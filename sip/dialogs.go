package sip

import (
	"sync"

	"github.com/dialtone/dialtone/calls"
	"github.com/emiago/sipgo/sip"
)

// The switch finds a leg by its dialog for in-dialog requests: a leg
// whose INVITE it received by the dialog's UAS id (sw.uas), a leg it
// placed by the UAC id (sw.uac), as sipgo computes them from a request.

// StoreDialog makes l's dialog findable (calls.Host).
func (h switchHost) StoreDialog(l *calls.CallLeg) {
	if m := h.sw.dialogsOf(l); m != nil {
		m.Store(l.Dialog.DialogID(), l)
	}
}

// ForgetDialog forgets l's dialog, so in-dialog requests that come late
// get 481 (calls.Host).
func (h switchHost) ForgetDialog(l *calls.CallLeg) {
	if m := h.sw.dialogsOf(l); m != nil && l.Dialog.DialogID() != "" {
		m.Delete(l.Dialog.DialogID())
	}
}

// dialogsOf is the map l's kind of dialog is found in (nil: none).
func (sw *Switch) dialogsOf(l *calls.CallLeg) *sync.Map {
	switch l.Dialog.(type) {
	case *inboundLeg:
		return &sw.uas
	case *outboundLeg:
		return &sw.uac
	}
	return nil
}

// inboundOf and outboundOf are a found leg's dialog (nil: not that kind).
func inboundOf(v any) *inboundLeg {
	l, _ := v.(*calls.CallLeg).Dialog.(*inboundLeg)
	if l == nil || l.server == nil {
		return nil
	}
	return l
}

func outboundOf(v any) *outboundLeg {
	l, _ := v.(*calls.CallLeg).Dialog.(*outboundLeg)
	return l
}

// legOfRequest finds the leg an in-dialog request belongs to.
func (sw *Switch) legOfRequest(req *sip.Request) *calls.CallLeg {
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if v, ok := sw.uas.Load(id); ok {
			return v.(*calls.CallLeg)
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if v, ok := sw.uac.Load(id); ok {
			return v.(*calls.CallLeg)
		}
	}
	return nil
}

// legByDialog finds a leg by the dialog a Replaces header names.
func (sw *Switch) legByDialog(r *calls.Replaces) *calls.CallLeg {
	id := sip.DialogIDMake(r.CallID, r.ToTag, r.FromTag)
	if v, ok := sw.uas.Load(id); ok {
		return v.(*calls.CallLeg)
	}
	if v, ok := sw.uac.Load(id); ok {
		return v.(*calls.CallLeg)
	}
	return nil
}
