package directory

import (
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/phone"
)

// Route is where a new call goes.
type Route struct {
	Caller   *User  // the calling user (nil when the trunk calls in)
	InTrunk  *Trunk // the trunk that called in
	OutTrunk *Trunk // the trunk the call goes out through

	Targets  []*User // users to ring (all their contacts in parallel)
	Number   *Number // the organization number dialed, if any
	E164     string  // the public number dialed through the trunk
	CallerID string  // the number the call presents (and is rated from)
	Mailbox  bool    // the caller dialed the voicemail extension
	// AgentJoin: the caller dialed *55, a dialer agent's session, to the
	// Campaign number after it (empty: any of the agent's campaigns).
	AgentJoin bool
	Campaign  string
}

// AgentJoinPrefix is what a phone dials to join a dialer campaign as its
// agent: *55 (the oldest running campaign the user is on) or *55 and the
// campaign's number.
const AgentJoinPrefix = "*55"

// CallerIDPrefix on a dialed number picks one of the user's caller IDs by
// position: "*72" + number presents the second one.
const CallerIDPrefix = "*7"

// Dialing is what a user's phone asked for, as the request said it.
type Dialing struct {
	Dialed string // the user part of the Request-URI (or of To)
	// Identity is the caller ID the phone asked to present
	// (P-Preferred-Identity), when it asked.
	Identity *AskedIdentity
	// VoicemailExtension is what the user dials for the mailbox.
	VoicemailExtension string
	// AgentJoin is set when *55 joins a dialer campaign (the dialer is on);
	// otherwise *55 is dialed like any other string.
	AgentJoin bool
}

// AskedIdentity is a caller ID a request asks for.
type AskedIdentity struct {
	Number string // its E.164 number
	OK     bool   // false: the request named one that cannot be read
}

// RouteFromTrunk routes a call the carrier sends from trunk t to dialed,
// one of the organization's numbers, from the caller's number from.
func (d *Directory) RouteFromTrunk(t *Trunk, dialed, from string) (*Route, error) {
	e164, ok := phone.Dialed(dialed, "")
	if !ok && !strings.HasPrefix(dialed, "+") {
		e164, ok = phone.Dialed("+"+dialed, "")
	}
	if !ok {
		return nil, refuse(ErrNotFound, "not a number of this organization")
	}
	n := d.Number(e164)
	if n == nil {
		return nil, refuse(ErrNotFound, "not a number of this organization")
	}
	r := &Route{InTrunk: t, Number: n, CallerID: from}
	r.Targets = d.Users(d.Owners(n), func(u *User) bool { return u.May(config.PermCallsInbound) })
	if len(r.Targets) == 0 {
		return nil, refuse(ErrForbidden, "the number's owner may not take inbound calls")
	}
	return r, nil
}

// RouteFromPhone routes a call user u places.
func (d *Directory) RouteFromPhone(u *User, in Dialing) (*Route, error) {
	dialed, callerID, err := chooseCallerID(u, in.Dialed, in.Identity)
	if err != nil {
		return nil, err
	}
	if dialed == in.VoicemailExtension {
		return &Route{Caller: u, CallerID: callerID, Mailbox: true}, nil
	}
	if r, ok := agentJoinRoute(u, dialed, callerID, in.AgentJoin); ok {
		return r, nil
	}
	return d.RouteDialed(u, dialed, callerID)
}

// agentJoinRoute routes a *55 call of user u, if it is one.
func agentJoinRoute(u *User, dialed, callerID string, enabled bool) (*Route, bool) {
	number, ok := strings.CutPrefix(dialed, AgentJoinPrefix)
	if !ok || !enabled || strings.Trim(number, "0123456789") != "" {
		return nil, false
	}
	return &Route{Caller: u, CallerID: callerID, AgentJoin: true, Campaign: number}, true
}

// RouteDialed routes what user u dialed (an extension, name, group,
// organization number or outside number), presenting callerID outside.
// A blind transfer routes its target here too, as a dialed call.
func (d *Directory) RouteDialed(u *User, dialed, callerID string) (*Route, error) {
	r := &Route{Caller: u, CallerID: callerID}
	if t := d.User(dialed); t != nil {
		r.Targets = []*User{t}
		return r, nil
	}
	notCaller := func(t *User) bool { return t != u }
	if members, ok := d.Group(dialed); ok {
		r.Targets = d.Users(members, notCaller)
		if len(r.Targets) == 0 {
			return nil, refuse(ErrNobodyToRing, "no one else in the group")
		}
		return r, nil
	}
	e164, ok := phone.Dialed(dialed, phone.Country(r.CallerID))
	if !ok {
		return nil, refuse(ErrNotFound, "no such user or number")
	}
	if n := d.Number(e164); n != nil {
		r.Number = n
		r.Targets = d.Users(d.Owners(n), notCaller)
		if len(r.Targets) == 0 {
			return nil, refuse(ErrNobodyToRing, "the number has no one else to ring")
		}
		return r, nil
	}
	if refusal := u.CheckOutsideCall(r.CallerID, e164); refusal != nil {
		return nil, refuse(ErrForbidden, refusal.Reason)
	}
	r.OutTrunk = d.OutboundTrunk()
	if r.OutTrunk == nil {
		return nil, refuse(ErrNoTrunk, "no trunk to the public network")
	}
	r.E164 = e164
	return r, nil
}

// chooseCallerID picks the caller ID a call presents: the user's default
// (the first configured), another verified one named by the identity the
// request asked for or the dial prefix, never an unverified one. It
// returns the dialed string without the prefix.
func chooseCallerID(u *User, dialed string, asked *AskedIdentity) (rest, callerID string, err error) {
	callerID = u.DefaultCallerID()
	if strings.HasPrefix(dialed, CallerIDPrefix) && len(dialed) > len(CallerIDPrefix)+1 {
		n := int(dialed[len(CallerIDPrefix)] - '0')
		if n < 1 || n > 9 {
			return "", "", refuse(ErrNotFound, "caller ID prefix needs a digit 1-9")
		}
		if n > len(u.CallerIDs) {
			return "", "", refuse(ErrForbidden, "no such caller ID for this user")
		}
		callerID = u.CallerIDs[n-1]
		dialed = dialed[len(CallerIDPrefix)+1:]
	}
	if asked != nil {
		if !asked.OK {
			return "", "", refuse(ErrMalformed, "unreadable P-Preferred-Identity")
		}
		if !u.Verified(asked.Number) {
			return "", "", refuse(ErrForbidden, "caller ID "+asked.Number+" is not verified for this user")
		}
		callerID = asked.Number
	}
	return dialed, callerID, nil
}

// RouteOrigination routes a leg the call engine places for user u (a
// dialer's call, an agent's session) to to: an extension (the user's
// phones) or a number (E.164, or national in callerID's country) through
// the trunk, presenting callerID, with the checks of a call the user
// dials by hand: the caller ID is an organization number or one of the
// user's, the user's role may call the number with it
// (config.CheckOutsideCall), and there is a trunk. Whether the user's
// phones are registered is the caller's to check.
func (d *Directory) RouteOrigination(u *User, to, callerID string) (*Route, error) {
	r := &Route{Caller: u, CallerID: callerID}
	if t := d.User(to); t != nil {
		r.Targets = []*User{t}
		return r, nil
	}
	if callerID != "" && d.Number(callerID) == nil && !u.Verified(callerID) {
		return nil, refuse(ErrForbidden, fmt.Sprintf("caller ID %s is neither an organization number nor one of %s's", callerID, u.Extension))
	}
	e164, ok := phone.Dialed(to, phone.Country(callerID))
	if !ok {
		return nil, refuse(ErrNotFound, fmt.Sprintf("%q is no number", to))
	}
	if refusal := u.CheckOutsideCall(callerID, e164); refusal != nil {
		return nil, &Refusal{Kind: ErrForbidden, Reason: refusal.Reason, Err: refusal}
	}
	r.OutTrunk = d.OutboundTrunk()
	if r.OutTrunk == nil {
		return nil, refuse(ErrNoTrunk, "no trunk to the public network")
	}
	r.E164 = e164
	return r, nil
}
