package calls

import (
	"errors"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/billing"
	orgdir "github.com/dialtone/dialtone/directory"
)

// forwarder follows the call's forwarding rules.
func (c *Call) forwarder() *orgdir.Forwarder {
	return c.host.CallDirectory().Forwarder(orgdir.ForwardedCall{
		Route:          c.rt,
		From:           c.origin.From,
		CallerIDPolicy: c.Settings().ForwardCallerID,
		RulesOf:        c.host.ForwardingOf,
		Current:        func() *orgdir.Directory { return c.host.CallDirectory().Directory },
	})
}

// follow resolves target, one of hop h's rules, into the next hop. A
// target the rule's owners may not call gets its refused leg written; if
// nothing replaces it (h's no-answer rule, h's voicemail) the error wraps
// ErrNoAnswer as well, and the caller gets 480.
func (c *Call) follow(fw *orgdir.Forwarder, h *orgdir.Hop, target string) (*orgdir.Hop, error) {
	voicemail := c.orVoicemail(h, "", ErrNoAnswer) != ""
	next, err := fw.Follow(h, target, voicemail, c.refuseForward)
	if errors.Is(err, orgdir.ErrForwardRefused) {
		return nil, fmt.Errorf("%w: %w", err, ErrNoAnswer)
	}
	return next, err
}

// refuseForward writes the CDR of a forward leg the permission check
// stopped: never placed, never charged, with the reason.
func (c *Call) refuseForward(fr *orgdir.ForwardRefusal) {
	ce := RefusalOf(fr.Refusal)
	l := c.newOutgoingLeg(fr.Next)
	l.CDR.RefuseReason = ce.Reason
	l.End(billing.Refused, ce.Code)
	c.finish(l)
	c.log.Warn("forward refused", "to", fr.Next.E164, "reason", ce.Reason)
}

// ringTimeout is how long a hop rings before its no-answer rule applies.
func (c *Call) ringTimeout(h *orgdir.Hop) time.Duration {
	return h.RingTimeout(c.Settings().RingTimeout)
}
