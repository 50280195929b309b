package sip

import (
	"strings"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/phone"
	"github.com/emiago/sipgo/sip"
)

// route is where a new call goes and how its legs are classed.
type route struct {
	caller   *user  // the calling user (nil when the trunk calls in)
	inTrunk  *trunk // the trunk that called in
	outTrunk *trunk // the trunk the call goes out through

	targets  []*user // users to ring (all their contacts in parallel)
	number   *number // the organization number dialed, if any
	e164     string  // the public number dialed through the trunk
	callerID string  // the number the call presents (and is rated from)
	mailbox  bool    // the caller dialed the voicemail extension
	// agentJoin: the caller dialed *55, a dialer agent's session, to the
	// campaign number after it (empty: any of the agent's campaigns).
	agentJoin bool
	campaign  string
}

// peer is where the call's other side goes, as billing classifies the
// caller's leg: the trunk, a phone, or nothing (the switch answers).
func (r *route) peer() billing.Endpoint {
	switch {
	case r.outTrunk != nil, r.agentJoin: // an agent's session talks to the leads on the trunk: its leg is free access
		return billing.EndpointTrunk
	case r.mailbox:
		return ""
	default:
		return billing.EndpointPhone
	}
}

// dialedUser is the user part of the Request-URI, or of To when the
// Request-URI has none.
func dialedUser(req *sip.Request) string {
	if u := req.Recipient.User; u != "" {
		return u
	}
	return req.To().Address.User
}

// routeFromTrunk routes a call the carrier sends to one of our numbers.
func (sw *Switch) routeFromTrunk(req *sip.Request, t *trunk) (*route, error) {
	dialed := dialedUser(req)
	e164, ok := phone.Dialed(dialed, "")
	if !ok && !strings.HasPrefix(dialed, "+") {
		e164, ok = phone.Dialed("+"+dialed, "")
	}
	if !ok {
		return nil, refuse(404, "Not Found", "not a number of this organization")
	}
	n := sw.directory().Number(e164)
	if n == nil {
		return nil, refuse(404, "Not Found", "not a number of this organization")
	}
	r := &route{inTrunk: t, number: n}
	r.callerID = req.From().Address.User
	r.targets = sw.directory().Users(sw.directory().Owners(n), func(u *user) bool { return u.May(config.PermCallsInbound) })
	if len(r.targets) == 0 {
		return nil, refuse(403, "Forbidden", "the number's owner may not take inbound calls")
	}
	return r, nil
}

// routeFromPhone routes a call a registered user places.
func (sw *Switch) routeFromPhone(req *sip.Request, u *user) (*route, error) {
	dialed, callerID, err := chooseCallerID(req, u, dialedUser(req))
	if err != nil {
		return nil, err
	}
	if dialed == sw.directory().settings.voicemailExtension {
		return &route{caller: u, callerID: callerID, mailbox: true}, nil
	}
	if r, ok := sw.agentJoinRoute(u, dialed, callerID); ok {
		return r, nil
	}
	return sw.routeDialed(u, dialed, callerID)
}

// routeDialed routes what user u dialed (an extension, name, group,
// organization number or outside number), presenting callerID outside.
func (sw *Switch) routeDialed(u *user, dialed, callerID string) (*route, error) {
	r := &route{caller: u, callerID: callerID}
	if t := sw.directory().User(dialed); t != nil {
		r.targets = []*user{t}
		return r, nil
	}
	notCaller := func(t *user) bool { return t != u }
	if members, ok := sw.directory().Group(dialed); ok {
		r.targets = sw.directory().Users(members, notCaller)
		if len(r.targets) == 0 {
			return nil, refuse(480, "Temporarily Unavailable", "no one else in the group")
		}
		return r, nil
	}
	callerCountry := phone.Country(r.callerID)
	e164, ok := phone.Dialed(dialed, callerCountry)
	if !ok {
		return nil, refuse(404, "Not Found", "no such user or number")
	}
	if n := sw.directory().Number(e164); n != nil {
		r.number = n
		r.targets = sw.directory().Users(sw.directory().Owners(n), notCaller)
		if len(r.targets) == 0 {
			return nil, refuse(480, "Temporarily Unavailable", "the number has no one else to ring")
		}
		return r, nil
	}
	if refusal := u.CheckOutsideCall(r.callerID, e164); refusal != nil {
		return nil, refuse(403, "Forbidden", refusal.Reason)
	}
	r.outTrunk = sw.directory().OutboundTrunk()
	if r.outTrunk == nil {
		return nil, refuse(503, "Service Unavailable", "no trunk to the public network")
	}
	r.e164 = e164
	return r, nil
}

// callerIDPrefix on a dialed number picks one of the user's caller IDs by
// position: "*72" + number presents the second one.
const callerIDPrefix = "*7"

// chooseCallerID picks the caller ID a call presents: the user's default
// (the first configured), another verified one named by a
// P-Preferred-Identity header or the dial prefix, never an unverified one.
// It returns the dialed string without the prefix.
func chooseCallerID(req *sip.Request, u *user, dialed string) (rest, callerID string, err error) {
	callerID = u.DefaultCallerID()
	if strings.HasPrefix(dialed, callerIDPrefix) && len(dialed) > len(callerIDPrefix)+1 {
		n := int(dialed[len(callerIDPrefix)] - '0')
		if n < 1 || n > 9 {
			return "", "", refuse(404, "Not Found", "caller ID prefix needs a digit 1-9")
		}
		if n > len(u.CallerIDs) {
			return "", "", refuse(403, "Forbidden", "no such caller ID for this user")
		}
		callerID = u.CallerIDs[n-1]
		dialed = dialed[len(callerIDPrefix)+1:]
	}
	if h := req.GetHeader("P-Preferred-Identity"); h != nil {
		wanted, ok := identityNumber(h.Value())
		if !ok {
			return "", "", refuse(400, "Bad Request", "unreadable P-Preferred-Identity")
		}
		if !u.Verified(wanted) {
			return "", "", refuse(403, "Forbidden", "caller ID "+wanted+" is not verified for this user")
		}
		callerID = wanted
	}
	return dialed, callerID, nil
}

// identityNumber reads the E.164 number of a P-Preferred-Identity value
// such as <sip:+14155550100@host> or <tel:+14155550100>.
func identityNumber(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	v = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(v, "sips:"), "sip:"), "tel:")
	if i := strings.IndexAny(v, "@;"); i >= 0 {
		v = v[:i]
	}
	return phone.Dialed(v, "")
}
