// Package directory is the single place that answers who is this, may
// they do that, and where does it ring: the organization's users (found by
// extension or by name), groups, numbers and their owners, trunks (the one
// a request comes from, the one calls to the public network leave
// through), the permissions each user's role grants, and the routing and
// forwarding policy built on them:
//
//   - RouteFromPhone, RouteFromTrunk and RouteDialed turn what was dialed
//     into a Route: the users to ring, or the trunk and E.164 number, the
//     caller ID presented (the user's default, a *7n prefix, an asked
//     identity that must be verified), the mailbox or a dialer agent's *55;
//     RouteOrigination does the same checks for a leg the call engine
//     places;
//   - a Forwarder follows one call's forwarding rules hop by hop: the rule
//     for how ringing failed (NextRule of an Outcome), users already rung
//     (loops), MaxForwardHops, targets the rule's owners may not call
//     (checked when used: a ForwardRefusal), the caller ID a call
//     forwarded outside presents, each hop's ring timeout;
//   - Numbers and Forwardings are what the API changes: numbers rented
//     (checked, stored, published as a new Directory in order with
//     reloads) and forwarding rules set per user (checked, stored,
//     listed when a reload no longer permits them).
//
// A Directory is built from one config (New) and never changes: a reload
// or a number added builds a new one and swaps it in whole, so one
// question never sees half of two configs. Callers keep the *Directory
// they asked first for the rest of what they are deciding; a Forwarder,
// whose call may ring for a while, resolves each forward in the directory
// as it is then.
//
// The package knows nothing of SIP: it takes plain values (the dialed
// string, the asked identity, how ringing failed) and refuses with typed
// errors (a *Refusal of kind ErrNotFound, ErrForbidden, ErrNobodyToRing,
// ErrNoTrunk, ErrMalformed; ErrForwardLoop, ErrForwardRefused; ErrInvalid
// and ErrConflict for administrative changes). Package sip reads the
// request, rings the hops, writes the legs, and says the refusals as SIP
// statuses in one place (its asCallError); it holds the current Directory
// with its own sip: settings beside it.
//
// The permission rules themselves (what calls.outbound,
// calls.international and calls.premium allow) are config.CheckOutsideCall,
// since the config loader must apply them before any Directory exists;
// User.CheckOutsideCall, MayCallOutside and RefuseOutsideCall apply them
// to users.
package directory
