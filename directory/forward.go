package directory

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/phone"
)

// MaxForwardHops bounds a chain of forwards even without a loop.
const MaxForwardHops = 5

// Hop is one place the outgoing leg of a call rings: users' phones, or the
// trunk to an outside number, or a user's voicemail.
type Hop struct {
	Users    []*User
	Trunk    *Trunk
	E164     string
	CallerID string // what the trunk leg presents, and is rated from
	Reason   billing.Reason
	// Rules are the forwarding rules of the user or number being rung,
	// and Owners the users under whose permissions they forward: the
	// user, or the number's owner (every member of an owning group).
	Rules     config.Forwarding
	Owners    []*User
	Voicemail *User         // set when the hop is this user's voicemail
	RingFor   time.Duration // the call engine's ring timeout for the hop (0: the settings')
}

func (h *Hop) String() string {
	switch {
	case h.Trunk != nil:
		return h.E164
	case h.Voicemail != nil:
		return "voicemail:" + h.Voicemail.Extension
	case len(h.Users) == 1:
		return h.Users[0].Extension
	default:
		names := make([]string, len(h.Users))
		for i, u := range h.Users {
			names[i] = u.Extension
		}
		return strings.Join(names, ",")
	}
}

// RingTimeout is how long the hop rings before its no-answer rule
// applies; def is sip.ring_timeout.
func (h *Hop) RingTimeout(def time.Duration) time.Duration {
	if h.RingFor > 0 {
		return h.RingFor
	}
	if h.Rules.NoAnswer != "" && h.Rules.NoAnswerAfter.Duration > 0 {
		return h.Rules.NoAnswerAfter.Duration
	}
	return def
}

// Outcome is how ringing a hop failed, as forwarding tells the cases apart.
type Outcome int

const (
	// OutcomeFailed: anything else (declined, an error): no rule applies.
	OutcomeFailed Outcome = iota
	// OutcomeNotRegistered: none of the users has a phone registered.
	OutcomeNotRegistered
	// OutcomeNoAnswer: nobody answered within the ring timeout.
	OutcomeNoAnswer
	// OutcomeBusy: the callee is busy (busy here, busy everywhere).
	OutcomeBusy
	// OutcomeUnavailable: the callee said it is unavailable, or its
	// phone timed out; forwarded as no answer.
	OutcomeUnavailable
)

// NextRule is the forwarding target of rules that applies to how ringing
// failed ("" for none).
func NextRule(rules config.Forwarding, o Outcome) string {
	switch o {
	case OutcomeNotRegistered:
		return rules.Unregistered
	case OutcomeNoAnswer, OutcomeUnavailable:
		return rules.NoAnswer
	case OutcomeBusy:
		return rules.Busy
	}
	return ""
}

// ForwardRefusal is a forward the permission check stopped: Next is the
// hop it would have been (for the refused leg's record).
type ForwardRefusal struct {
	Next    *Hop
	Refusal *Refusal
}

func (f *ForwardRefusal) Error() string {
	return fmt.Sprintf("forward to %s: %s", f.Next.E164, f.Refusal.Reason)
}

func (f *ForwardRefusal) Unwrap() []error { return []error{ErrForwardRefused, f.Refusal} }

// ForwardedCall is what forwarding needs to know of the call.
type ForwardedCall struct {
	Route *Route
	// From is who the original caller is, as the call said it (a number
	// from the trunk, an extension from a phone).
	From string
	// CallerIDPolicy is sip.forward_caller_id (config.ForwardCalledNumber
	// or config.ForwardOriginalCaller), as the call started with it.
	CallerIDPolicy string
	// RulesOf is a user's forwarding rules (set through the API, else the
	// config's).
	RulesOf func(*User) config.Forwarding
	// Current is the directory as it is now (nil: the one the Forwarder
	// came from): a call that rings for a while forwards to the targets,
	// and under the permissions, of a reload that came meanwhile.
	Current func() *Directory
}

// Forwarder follows the forwarding rules of one call, hop by hop: it
// remembers who was rung, to stop loops, and how many forwards were taken.
type Forwarder struct {
	first    *Directory // the directory the call started with
	call     ForwardedCall
	visited  map[string]bool // extensions already rung in this call
	forwards int
}

// Forwarder starts following the forwarding of call c.
func (d *Directory) Forwarder(c ForwardedCall) *Forwarder {
	f := &Forwarder{first: d, call: c, visited: map[string]bool{}}
	if c.Route.Caller != nil {
		f.visited[c.Route.Caller.Extension] = true
	}
	return f
}

// FirstHop is where the route sends the call, with the forwarding rules of
// the number dialed (they win) or of the single user called.
func (f *Forwarder) FirstHop() *Hop {
	rt := f.call.Route
	h := &Hop{Users: rt.Targets, Trunk: rt.OutTrunk, E164: rt.E164, CallerID: rt.CallerID, Reason: billing.ReasonDirect}
	switch {
	case rt.Number != nil && !rt.Number.Forwarding.IsZero():
		h.Rules, h.Owners = rt.Number.Forwarding, f.first.OwnerUsers(rt.Number)
	case len(rt.Targets) == 1 && rt.OutTrunk == nil:
		h.Rules, h.Owners = f.call.RulesOf(rt.Targets[0]), rt.Targets
	}
	return h
}

// CanForward says whether another forward is allowed (MaxForwardHops).
func (f *Forwarder) CanForward() bool { return f.forwards < MaxForwardHops }

// Follow resolves target, one of hop h's rules, into the next hop. A
// target h's owners may not call is not forwarded to: refused is told of
// it (its leg is recorded as refused) and the forward counts as
// unanswered: h's no-answer rule is next (unless that is the target
// refused), then h's voicemail when voicemail catches h's calls; with
// neither, the error is the *ForwardRefusal (ErrForwardRefused). A forward
// past MaxForwardHops is ErrForwardLoop.
func (f *Forwarder) Follow(h *Hop, target string, voicemail bool, refused func(*ForwardRefusal)) (*Hop, error) {
	for _, u := range h.Users {
		f.visited[u.Extension] = true
	}
	next, err := f.follow(h, target, voicemail, refused)
	if err != nil {
		return nil, err
	}
	if f.forwards >= MaxForwardHops {
		return nil, fmt.Errorf("%s to %s: %w", h, next, ErrForwardLoop)
	}
	f.forwards++
	return next, nil
}

func (f *Forwarder) follow(h *Hop, target string, voicemail bool, refused func(*ForwardRefusal)) (*Hop, error) {
	next, err := f.resolve(h, target)
	var fr *ForwardRefusal
	if !errors.As(err, &fr) {
		return next, err
	}
	refused(fr)
	if alt := h.Rules.NoAnswer; alt != "" && alt != target {
		return f.follow(h, alt, voicemail, refused)
	}
	if voicemail {
		return f.resolve(h, config.TargetVoicemail)
	}
	return nil, err
}

// dir is the directory a forward is resolved in.
func (f *Forwarder) dir() *Directory {
	if f.call.Current != nil {
		return f.call.Current()
	}
	return f.first
}

// notVisited rings the users not yet rung in this call.
func (f *Forwarder) notVisited(u *User) bool { return !f.visited[u.Extension] }

// resolve turns a forwarding target into the next hop.
func (f *Forwarder) resolve(from *Hop, target string) (*Hop, error) {
	h := &Hop{Reason: billing.ReasonForward}
	dir := f.dir()
	switch {
	case target == config.TargetVoicemail:
		if len(from.Users) != 1 {
			return nil, fmt.Errorf("voicemail target for %s: not one user", from)
		}
		h.Voicemail = from.Users[0]
		return h, nil
	case strings.HasPrefix(target, config.TargetGroupPrefix):
		h.Users = dir.GroupUsers(strings.TrimPrefix(target, config.TargetGroupPrefix), f.notVisited)
		if len(h.Users) == 0 {
			return nil, fmt.Errorf("group %s: %w", target, ErrForwardLoop)
		}
	case strings.HasPrefix(target, "+"):
		e164, err := phone.Normalize(target, "")
		if err != nil {
			return nil, fmt.Errorf("forward target %s: %w", target, err)
		}
		if n := dir.Number(e164); n != nil {
			// An organization number: ring its owners, not the trunk.
			h.Users = dir.Users(dir.Owners(n), f.notVisited)
			if len(h.Users) == 0 {
				return nil, fmt.Errorf("number %s: %w", e164, ErrForwardLoop)
			}
			h.Rules, h.Owners = n.Forwarding, dir.OwnerUsers(n)
			return h, nil
		}
		h.Trunk = dir.OutboundTrunk()
		if h.Trunk == nil {
			return nil, errors.New("no trunk for an outside forward target")
		}
		h.E164 = e164
		h.CallerID = f.callerID(from)
		// Checked when used, not only when set: a reload may have taken
		// the permission away since.
		if refusal := RefuseOutsideCall(from.Owners, e164); refusal != nil {
			return nil, &ForwardRefusal{Next: h, Refusal: refusal}
		}
	default:
		u := dir.User(target)
		if u == nil {
			return nil, fmt.Errorf("unknown forward target %q", target)
		}
		if f.visited[u.Extension] {
			return nil, fmt.Errorf("%s: %w", u.Extension, ErrForwardLoop)
		}
		h.Users = []*User{u}
		h.Rules, h.Owners = f.call.RulesOf(u), h.Users
	}
	return h, nil
}

// callerID is what a call forwarded outside presents: the called
// organization number (or the forwarding user's caller ID), or the
// original caller's number when the config says so and it is a real
// number.
func (f *Forwarder) callerID(from *Hop) string {
	if f.call.CallerIDPolicy == config.ForwardOriginalCaller {
		if e, ok := phone.Dialed(f.call.From, ""); ok {
			return e
		}
	}
	rt := f.call.Route
	if rt.Number != nil {
		return rt.Number.Number
	}
	if len(from.Users) == 1 && from.Users[0].DefaultCallerID() != "" {
		return from.Users[0].DefaultCallerID()
	}
	return rt.CallerID
}
