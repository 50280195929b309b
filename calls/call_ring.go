package calls

import (
	"sync"

	orgdir "github.com/dialtone/dialtone/directory"
)

// ring sends the outgoing INVITE to every contact of every target (or to
// the trunk), relays ringing to the caller, and returns the first fork
// that answers as an outbound leg; the others are canceled. On failure
// it returns the most telling final response. party is the extension of
// the user whose phone answered (empty for the trunk).
func (c *Call) ring(h *orgdir.Hop) (winner Dialog, party string, res *FinalResponse, err error) {
	return c.ringWith(h, c.Offer, c.a, c.relayProvisional())
}

// ringWith rings a hop with an offer through the host's HopRinger, on
// behalf of the leg from (its hang-up stops the ringing), and passes
// the responses before the final one to relay.
func (c *Call) ringWith(h *orgdir.Hop, offer []byte, from *CallLeg, relay func(RingProgress)) (winner Dialog, party string, res *FinalResponse, err error) {
	r := RingRequest{CallID: c.id, Origin: c.origin, Offer: offer, HangUp: from.Done(),
		Timeout: c.ringTimeout(h), MaxForks: c.Settings().MaxForks}
	if c.rt != nil {
		r.Caller = c.rt.Caller
	}
	return c.host.HopRinger().RingHop(r, h, relay)
}

// relayProvisional passes the callee's ringing and early media to the
// caller, once each.
func (c *Call) relayProvisional() func(RingProgress) {
	var relayMu sync.Mutex
	relayed := map[int]bool{}
	return func(p RingProgress) {
		// The callee has the INVITE (100 Trying, ringing): the switch's
		// part of the setup is done, and waiting for an answer is cheap.
		c.releaseSetup()
		if !p.Relayed() {
			return
		}
		code := p.Code
		hasSDP := len(p.SDP) > 0
		relayMu.Lock()
		// One 180 is enough; early media (183 with SDP) once per call.
		if relayed[code] || (code == StatusSessionProgress && relayed[StatusRinging] && !hasSDP) {
			relayMu.Unlock()
			return
		}
		relayed[code] = true
		relayMu.Unlock()
		var body []byte
		if hasSDP {
			var err error
			if body, err = c.anchorAnswer(p.SDP, p.Source); err != nil {
				c.log.Info("early media refused", "error", err)
				body = nil
			}
		}
		_ = c.a.Dialog.Provisional(code, p.Reason, body)
	}
}
