package sip

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/phone"
	"github.com/emiago/sipgo/sip"
)

// maxForwardHops bounds a chain of forwards even without a loop.
const maxForwardHops = 5

var errForwardLoop = errors.New("forwarding loop")

// errForwardRefused: the rule's owner may not call the forward target
// (outbound, international or premium-rate, as if they dialed it).
var errForwardRefused = errors.New("forward target not permitted")

// forwardRefusal is a forward the permission check stopped: next is the
// hop it would have been, for the refused leg's CDR.
type forwardRefusal struct {
	next    *hop
	refusal *callError
}

func (f *forwardRefusal) Error() string {
	return fmt.Sprintf("forward to %s: %s", f.next.e164, f.refusal.Reason)
}

func (f *forwardRefusal) Unwrap() []error { return []error{errForwardRefused, f.refusal} }

// hop is one place the outgoing leg of a call rings: users' phones, or the
// trunk to an outside number.
type hop struct {
	users    []*user
	trunk    *trunk
	e164     string
	callerID string // what the trunk leg presents, and is rated from
	reason   billing.Reason
	// rules are the forwarding rules of the user or number being rung,
	// and owners the users under whose permissions they forward: the
	// user, or the number's owner (every member of an owning group).
	rules     config.Forwarding
	owners    []*user
	voicemail *user         // set when the hop is this user's voicemail
	ringFor   time.Duration // the call engine's ring timeout for the hop (0: the settings')
}

func (h *hop) String() string {
	switch {
	case h.trunk != nil:
		return h.e164
	case h.voicemail != nil:
		return "voicemail:" + h.voicemail.Extension
	case len(h.users) == 1:
		return h.users[0].Extension
	default:
		names := make([]string, len(h.users))
		for i, u := range h.users {
			names[i] = u.Extension
		}
		return strings.Join(names, ",")
	}
}

// firstHop is where the route sends the call, with the forwarding rules of
// the number dialed (they win) or of the single user called.
func (c *call) firstHop() *hop {
	rt := c.rt
	h := &hop{users: rt.Targets, trunk: rt.OutTrunk, e164: rt.E164, callerID: rt.CallerID, reason: billing.ReasonDirect}
	switch {
	case rt.Number != nil && !rt.Number.Forwarding.IsZero():
		h.rules, h.owners = rt.Number.Forwarding, c.sw.directory().OwnerUsers(rt.Number)
	case len(rt.Targets) == 1 && rt.OutTrunk == nil:
		h.rules, h.owners = c.sw.forwardingOf(rt.Targets[0]), rt.Targets
	}
	return h
}

// forwardingOf is a user's forwarding: set through the API, else the config.
func (sw *Switch) forwardingOf(u *user) config.Forwarding {
	sw.fwdMu.RLock()
	defer sw.fwdMu.RUnlock()
	if f, ok := sw.fwdOverrides[u.Extension]; ok {
		return f
	}
	return u.Forwarding
}

// notVisited rings the users not yet rung in this call.
func notVisited(visited map[string]bool) func(*user) bool {
	return func(u *user) bool { return !visited[u.Extension] }
}

// forwardHop resolves a forwarding target into the next hop. visited holds
// the users already rung in this call, to stop loops.
func (c *call) forwardHop(target string, from *hop, visited map[string]bool) (*hop, error) {
	h := &hop{reason: billing.ReasonForward}
	dir := c.sw.directory()
	switch {
	case target == config.TargetVoicemail:
		if len(from.users) != 1 {
			return nil, fmt.Errorf("voicemail target for %s: not one user", from)
		}
		h.voicemail = from.users[0]
		return h, nil
	case strings.HasPrefix(target, config.TargetGroupPrefix):
		h.users = dir.GroupUsers(strings.TrimPrefix(target, config.TargetGroupPrefix), notVisited(visited))
		if len(h.users) == 0 {
			return nil, fmt.Errorf("group %s: %w", target, errForwardLoop)
		}
	case strings.HasPrefix(target, "+"):
		e164, err := phone.Normalize(target, "")
		if err != nil {
			return nil, fmt.Errorf("forward target %s: %w", target, err)
		}
		if n := dir.Number(e164); n != nil {
			// An organization number: ring its owners, not the trunk.
			h.users = dir.Users(dir.Owners(n), notVisited(visited))
			if len(h.users) == 0 {
				return nil, fmt.Errorf("number %s: %w", e164, errForwardLoop)
			}
			h.rules, h.owners = n.Forwarding, dir.OwnerUsers(n)
			return h, nil
		}
		h.trunk = dir.OutboundTrunk()
		if h.trunk == nil {
			return nil, errors.New("no trunk for an outside forward target")
		}
		h.e164 = e164
		h.callerID = c.forwardCallerID(from)
		// Checked when used, not only when set: a reload may have taken
		// the permission away since.
		if refusal := mayCallOutside(from.owners, e164); refusal != nil {
			return nil, &forwardRefusal{next: h, refusal: refusal}
		}
	default:
		u := dir.User(target)
		if u == nil {
			return nil, fmt.Errorf("unknown forward target %q", target)
		}
		if visited[u.Extension] {
			return nil, fmt.Errorf("%s: %w", u.Extension, errForwardLoop)
		}
		h.users = []*user{u}
		h.rules, h.owners = c.sw.forwardingOf(u), h.users
	}
	return h, nil
}

// follow resolves target, one of hop h's rules, into the next hop. A
// target h's owners may not call is not forwarded to: its refused leg is
// written, and the forward counts as unanswered: h's no-answer rule is
// next (unless that is the target refused), then h's voicemail; with
// neither, the error wraps errNoAnswer and the caller gets 480.
func (c *call) follow(h *hop, target string, visited map[string]bool) (*hop, error) {
	next, err := c.forwardHop(target, h, visited)
	var fr *forwardRefusal
	if !errors.As(err, &fr) {
		return next, err
	}
	c.refuseForward(fr)
	if alt := h.rules.NoAnswer; alt != "" && alt != target {
		return c.follow(h, alt, visited)
	}
	if c.orVoicemail(h, "", errNoAnswer) != "" {
		return c.forwardHop(config.TargetVoicemail, h, visited)
	}
	return nil, fmt.Errorf("%w: %w", err, errNoAnswer)
}

// refuseForward writes the CDR of a forward leg the permission check
// stopped: never placed, never charged, with the reason.
func (c *call) refuseForward(fr *forwardRefusal) {
	l := c.newOutgoingLeg(fr.next)
	l.cdr.RefuseReason = fr.refusal.Reason
	l.end(billing.Refused, fr.refusal.Code)
	c.finish(l)
	c.log.Warn("forward refused", "to", fr.next.e164, "reason", fr.refusal.Reason)
}

// forwardCallerID is what a call forwarded outside presents: the called
// organization number (or the forwarding user's caller ID), or the original
// caller's number when the config says so and it is a real number.
func (c *call) forwardCallerID(from *hop) string {
	if c.settings().forwardCallerID == config.ForwardOriginalCaller {
		if e, ok := phone.Dialed(c.req.From().Address.User, ""); ok {
			return e
		}
	}
	if c.rt.Number != nil {
		return c.rt.Number.Number
	}
	if len(from.users) == 1 && from.users[0].DefaultCallerID() != "" {
		return from.users[0].DefaultCallerID()
	}
	return c.rt.CallerID
}

// nextRule picks the forwarding rule that applies to how ringing failed.
func nextRule(rules config.Forwarding, res *sip.Response, err error) string {
	switch {
	case errors.Is(err, errNotRegistered):
		return rules.Unregistered
	case errors.Is(err, errNoAnswer):
		return rules.NoAnswer
	case res != nil && (res.StatusCode == 486 || res.StatusCode == 600):
		return rules.Busy
	case res != nil && (res.StatusCode == 480 || res.StatusCode == 408):
		return rules.NoAnswer
	}
	return ""
}

// ringTimeout is how long a hop rings before its no-answer rule applies.
func (c *call) ringTimeout(h *hop) time.Duration {
	if h.ringFor > 0 {
		return h.ringFor
	}
	if h.rules.NoAnswer != "" && h.rules.NoAnswerAfter.Duration > 0 {
		return h.rules.NoAnswerAfter.Duration
	}
	return c.settings().ringTimeout
}
