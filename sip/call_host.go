package sip

import (
	"context"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// switchHost is the switch as its calls see it (calls.Host): the call
// loop reaches the switch through nothing else. It is a type of its own
// so that what the loop asks stays off the Switch's exported methods.
type switchHost struct{ sw *Switch }

var _ calls.Host = switchHost{}

// CallHost is the host of the switch's calls, and the switch as the call
// engine's legs see it: the engine places its legs on it
// (calls.HostNetwork).
func (sw *Switch) CallHost() calls.Host { return switchHost{sw} }

// HopRinger is the network that rings a call's hops: SIP INVITEs, forked
// (sipNetwork).
func (h switchHost) HopRinger() calls.HopRinger { return sipNetwork(h) }

// CallDirectory is the directory a call asks, with record_all and the
// settings of the same config.
func (h switchHost) CallDirectory() *calls.Directory { return &h.sw.directory().Directory }

func (h switchHost) ForwardingOf(u *user) config.Forwarding { return h.sw.org.ForwardingOf(u) }
func (h switchHost) Registered(extension string) bool       { return len(h.sw.reg.lookup(extension)) > 0 }
func (h switchHost) CreditMeter() calls.Meter               { return h.sw.meter }

// ClaimUserCall counts a call against the user's concurrent-call limit;
// ok is false when the user has reached it.
func (h switchHost) ClaimUserCall(u *user) (release func(), ok bool) {
	sw := h.sw
	if u == nil || u.MaxCalls <= 0 {
		return func() {}, true
	}
	sw.userCallsMu.Lock()
	defer sw.userCallsMu.Unlock()
	if sw.userCalls[u.Extension] >= u.MaxCalls {
		return nil, false
	}
	sw.userCalls[u.Extension]++
	return func() {
		sw.userCallsMu.Lock()
		sw.userCalls[u.Extension]--
		sw.userCallsMu.Unlock()
	}, true
}

func (h switchHost) MediaPool() *media.Pool          { return h.sw.media }
func (h switchHost) MediaAddr() string               { return h.sw.mediaIP }
func (h switchHost) RecordingsDir() string           { return h.sw.dataDir }
func (h switchHost) VoicemailBox() calls.Voicemail   { return h.sw.voicemail }
func (h switchHost) LegStarted(cdr *billing.CDR)     { h.sw.cdrs.Started(cdr) }
func (h switchHost) LegEnded(cdr *billing.CDR) error { return h.sw.cdrs.Ended(cdr) }
func (h switchHost) CountCall(class string)          { h.sw.metrics.Calls.WithLabelValues(class).Inc() }
func (h switchHost) CountLeg(d billing.Disposition) {
	h.sw.metrics.Legs.WithLabelValues(string(d)).Inc()
}
func (h switchHost) CountNoAck() { h.sw.metrics.NoAck.Inc() }
func (h switchHost) CountMedia(d billing.Direction, s media.Stats) {
	h.sw.metrics.countMedia(d, s)
}
func (h switchHost) AgentJoiner() calls.AgentJoin                 { return h.sw.agentJoinHook() }
func (h switchHost) LegByDialog(r *calls.Replaces) *calls.CallLeg { return h.sw.legByDialog(r) }
func (h switchHost) StoreCall(c *calls.Call)                      { h.sw.callsByID.Store(c.ID(), c) }
func (h switchHost) ForgetCall(id string)                         { h.sw.callsByID.Delete(id) }
func (h switchHost) RunContext() context.Context                  { return h.sw.ctx }
func (h switchHost) CallStarted()                                 { h.sw.calls.Add(1) }
func (h switchHost) CallDone()                                    { h.sw.calls.Done() }

// AdmitCall admits an engine leg under the admission control a phone's
// or a trunk's INVITE meets (a place among sip.max_setup_calls until the
// callee has the INVITE: a dialer cannot set up calls past the limit the
// switch keeps for its own sake), and counts it among the calls in
// progress Shutdown reports (see admit).
func (h switchHost) AdmitCall() (done, setupDone func(), err error) {
	sw := h.sw
	if !sw.admit() {
		return nil, nil, calls.ErrStopping
	}
	slot := sw.admission.acquireFor(false)
	if slot == nil {
		sw.calls.Done()
		sw.metrics.Overload.Inc()
		return nil, nil, calls.ErrOverloaded
	}
	sw.active.Add(1)
	return func() {
		sw.active.Add(-1)
		sw.calls.Done()
	}, slot.release, nil
}
