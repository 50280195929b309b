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
//   - an Organization is the organization as it is now, and the one
//     owner of what changes it: the config applied (start, Reload), the
//     numbers rented through the API (checked, stored, published as a
//     new Directory in order with reloads; Numbers) and the forwarding
//     rules set per user (checked, stored, winning over the config's,
//     logged when a reload no longer permits them; Forwardings). It
//     tells NumbersChanged (the meter's rentals) each new set of numbers.
//     cmd/dialtone builds it; the switch only reads it and the API
//     changes it (AddNumber, RemoveNumber, SetForwarding).
//
// A Directory is built from one config (New) and never changes: a reload
// or a number added builds a new one and swaps it in whole, so one
// question never sees half of two configs. It keeps that config
// (Config), so what a reader keeps beside it (the switch's sip: settings,
// record_all) is derived from the same one. Callers keep the *Directory
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
// statuses in one place (its asCallError); it reads the Organization's
// current Directory with its own sip: settings beside it. The digest
// secrets (HA1) are the SIP realm's: the Organization is given the hash
// (sip.DigestHA1) and keeps no password.
//
// The permission rules themselves (what calls.outbound,
// calls.international and calls.premium allow) are config.CheckOutsideCall,
// since the config loader must apply them before any Directory exists;
// User.CheckOutsideCall, MayCallOutside and RefuseOutsideCall apply them
// to users.
package directory
