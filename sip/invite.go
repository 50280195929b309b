package sip

import (
	"github.com/dialtone/dialtone/calls"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"
)

// handleInvite answers a new INVITE: it authenticates, routes and runs the
// whole call in this goroutine, which sipgo gives each transaction.
func (sw *Switch) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To() == nil || req.From() == nil || req.CallID() == nil || req.CSeq() == nil || req.Contact() == nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		sw.handleReinvite(req, tx)
		return
	}
	if !sw.admit() {
		respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	// handedOver: the call was answered and goes on in a goroutine of its
	// own, which ends it (see run).
	handedOver := false
	defer func() {
		if !handedOver {
			sw.calls.Done()
		}
	}()
	// Before any work the call costs: authentication, routing, media.
	setup := sw.admission.acquireFor(req.GetHeader("Proxy-Authorization") != nil || req.GetHeader("Authorization") != nil)
	if setup == nil {
		sw.refuseOverload(req, tx)
		return
	}
	defer setup.release()
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		respond(tx, req, 483, "Too Many Hops")
		return
	}
	// Before authentication and ringing take the stack deep.
	growStack()
	var rt *route
	var err error
	var offer *sdp.SessionDescription
	// A request claiming to be one of our users must authenticate even when
	// it comes from a trunk's address; anything else from a trunk's address
	// is the carrier. A phone's offer is checked once it has authenticated:
	// the INVITE that gets the challenge is answered the same either way.
	t := sw.directory().TrunkFor(sourceHost(req))
	switch {
	case t != nil && sw.directory().User(req.From().Address.User) == nil:
		if offer, err = checkInviteBody(req); err == nil {
			rt, err = sw.routeFromTrunk(req, t)
		}
	default:
		u := sw.authenticate(req, tx, true)
		if u == nil {
			return
		}
		if offer, err = checkInviteBody(req); err == nil {
			rt, err = sw.routeFromPhone(req, u)
		}
	}
	in := sw.newInboundLeg(req, tx)
	// The settings are a copy: the call does not keep the directory.
	c := calls.NewIncomingCall(sw.CallHost(), in, originOf(req), rt, sw.directory().Settings, sw.log)
	c.OnSetupDone(setup.release)
	c.ParsedOffer = offer
	sw.active.Add(1)
	sw.metrics.ActiveCalls.Inc()
	ended := func() {
		sw.metrics.ActiveCalls.Dec()
		sw.active.Add(-1)
	}
	defer func() {
		if !handedOver {
			ended()
		}
	}()
	if err != nil {
		c.Refuse(asCallError(err))
		return
	}
	if up, answered := c.Run(); up != nil {
		handedOver = true
		go func() {
			defer sw.calls.Done()
			defer ended()
			up()
		}()
		// sipgo ends the INVITE's transaction when this handler returns
		// unless a final response is in it: return once the answer went
		// out (the caller acknowledged it), or the call is over.
		select {
		case <-answered:
		case <-c.Finished():
		}
	}
}

// checkInviteBody checks an INVITE's SDP offer, if it has one, and
// returns it parsed.
func checkInviteBody(req *sip.Request) (*sdp.SessionDescription, error) {
	body := req.Body()
	if len(body) == 0 {
		return nil, nil
	}
	if ct := req.ContentType(); ct != nil && ct.Value() != "application/sdp" {
		return nil, nil
	}
	return checkOffer(body)
}

// inviteStack is the frame growStack takes. An INVITE handler goes
// ≈ 7.3 KB deep under sipgo's frames (BenchmarkCall: where the trunk's
// INVITE is built, handleInvite → Run → ringing → newInvite), and a
// goroutine starts with a small stack (the runtime's average, often
// 2 KB): each time a call goes past its end, the runtime copies the
// stack into one twice the size and adjusts every frame on it. Deep in
// the call that was 2 → 4 → 8 → 16 KB, three copies of more and more
// frames (the challenged INVITE: two, in authenticate); grown at once
// while the stack is shallow, it is one copy of a few frames.
const inviteStack = 12 << 10

// growStack grows the calling goroutine's stack to 16 KB in one step
// unless it is that big already: to fit a frame, the runtime doubles the
// stack as many times as it takes at once. Called ≈ 1.5 KB deep, the
// frame fits in 16 KB (not 32). The collector shrinks the stack again
// if the goroutine waits long in a shallow frame.
//
//go:noinline
func growStack() {
	var frame [inviteStack]byte
	keepFrame(frame[:])
}

// keepFrame takes growStack's frame so the compiler keeps it.
//
//go:noinline
func keepFrame([]byte) {}
