package sip

import (
	"errors"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// hop is one place the outgoing leg of a call rings; the directory
// decides where forwarding goes (package directory's Forwarder), the call
// rings it and writes its legs.
type hop = orgdir.Hop

// forwarder follows the call's forwarding rules.
func (c *call) forwarder() *orgdir.Forwarder {
	return c.host.callDirectory().Forwarder(orgdir.ForwardedCall{
		Route:          c.rt,
		From:           c.origin.From,
		CallerIDPolicy: c.settings().ForwardCallerID,
		RulesOf:        c.host.forwardingOf,
		Current:        func() *orgdir.Directory { return c.host.callDirectory().Directory },
	})
}

// forwardingOf is a user's forwarding: set through the API, else the config.
func (sw *Switch) forwardingOf(u *user) config.Forwarding { return sw.fwd.Of(u) }

// follow resolves target, one of hop h's rules, into the next hop. A
// target the rule's owners may not call gets its refused leg written; if
// nothing replaces it (h's no-answer rule, h's voicemail) the error wraps
// calls.ErrNoAnswer as well, and the caller gets 480.
func (c *call) follow(fw *orgdir.Forwarder, h *hop, target string) (*hop, error) {
	voicemail := c.orVoicemail(h, "", calls.ErrNoAnswer) != ""
	next, err := fw.Follow(h, target, voicemail, c.refuseForward)
	if errors.Is(err, orgdir.ErrForwardRefused) {
		return nil, fmt.Errorf("%w: %w", err, calls.ErrNoAnswer)
	}
	return next, err
}

// refuseForward writes the CDR of a forward leg the permission check
// stopped: never placed, never charged, with the reason.
func (c *call) refuseForward(fr *orgdir.ForwardRefusal) {
	ce := asCallError(fr.Refusal)
	l := c.newOutgoingLeg(fr.Next)
	l.CDR.RefuseReason = ce.Reason
	l.End(billing.Refused, ce.Code)
	c.finish(l)
	c.log.Warn("forward refused", "to", fr.Next.E164, "reason", ce.Reason)
}

// ringTimeout is how long a hop rings before its no-answer rule applies.
func (c *call) ringTimeout(h *hop) time.Duration { return h.RingTimeout(c.settings().RingTimeout) }
