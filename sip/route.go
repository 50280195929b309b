package sip

import (
	"strings"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
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

	aClass, bClass billing.Class
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
	e164, ok := normalizeDialed(dialed, "")
	if !ok && !strings.HasPrefix(dialed, "+") {
		e164, ok = normalizeDialed("+"+dialed, "")
	}
	if !ok {
		return nil, refuse(404, "Not Found", "not a number of this organization")
	}
	n := sw.dir.numbers[e164]
	if n == nil {
		return nil, refuse(404, "Not Found", "not a number of this organization")
	}
	r := &route{inTrunk: t, number: n, aClass: billing.ClassPSTNInbound, bClass: billing.ClassAccess}
	r.callerID = req.From().Address.User
	for _, ext := range sw.dir.owners(n) {
		if u := sw.dir.user(ext); u != nil && u.may(config.PermCallsInbound) {
			r.targets = append(r.targets, u)
		}
	}
	if len(r.targets) == 0 {
		return nil, refuse(403, "Forbidden", "the number's owner may not take inbound calls")
	}
	return r, nil
}

// routeFromPhone routes a call a registered user places.
func (sw *Switch) routeFromPhone(req *sip.Request, u *user) (*route, error) {
	dialed := dialedUser(req)
	r := &route{caller: u, aClass: billing.ClassClient, bClass: billing.ClassClient}
	if len(u.CallerIDs) > 0 {
		r.callerID = u.CallerIDs[0]
	}
	if t := sw.dir.user(dialed); t != nil {
		r.targets = []*user{t}
		return r, nil
	}
	if members, ok := sw.dir.groups[dialed]; ok {
		for _, ext := range members {
			if t := sw.dir.user(ext); t != nil && t != u {
				r.targets = append(r.targets, t)
			}
		}
		if len(r.targets) == 0 {
			return nil, refuse(480, "Temporarily Unavailable", "no one else in the group")
		}
		return r, nil
	}
	callerCountry, _ := config.NumberInfo(r.callerID)
	e164, ok := normalizeDialed(dialed, callerCountry)
	if !ok {
		return nil, refuse(404, "Not Found", "no such user or number")
	}
	if n := sw.dir.numbers[e164]; n != nil {
		r.number = n
		for _, ext := range sw.dir.owners(n) {
			if t := sw.dir.user(ext); t != nil && t != u {
				r.targets = append(r.targets, t)
			}
		}
		if len(r.targets) == 0 {
			return nil, refuse(480, "Temporarily Unavailable", "the number has no one else to ring")
		}
		return r, nil
	}
	if !u.may(config.PermCallsOutbound) {
		return nil, refuse(403, "Forbidden", "outbound calls not permitted for this user")
	}
	if r.callerID == "" {
		return nil, refuse(403, "Forbidden", "no caller ID configured for this user")
	}
	destCountry, _ := config.NumberInfo(e164)
	if destCountry != callerCountry && !u.may(config.PermCallsInternational) {
		return nil, refuse(403, "Forbidden", "international calls not permitted for this user")
	}
	r.outTrunk = sw.dir.outboundTrunk()
	if r.outTrunk == nil {
		return nil, refuse(503, "Service Unavailable", "no trunk to the public network")
	}
	r.e164 = e164
	r.aClass, r.bClass = billing.ClassAccess, billing.ClassPSTNOutbound
	return r, nil
}
