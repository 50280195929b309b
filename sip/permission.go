package sip

import orgdir "github.com/dialtone/dialtone/directory"

// mayCallOutside is the check before the switch places a leg to the
// outside number e164 for users who did not dial it themselves now: a
// forward under their rules (a number's rules: its owner, or every member
// of the group that owns it) or a dialer's call. It refuses with 403 and
// the reason, or returns nil. A call a user dials, and a transfer, go
// through routeDialed, which checks the same config.CheckOutsideCall with
// the caller ID the user picked.
func mayCallOutside(users []*user, e164 string) *callError {
	who, refusal := orgdir.MayCallOutside(users, e164)
	if refusal == nil {
		return nil
	}
	reason := refusal.Reason
	if len(users) > 1 && who != "" {
		reason += " (" + who + ")"
	}
	return &callError{Code: 403, Phrase: "Forbidden", Reason: reason, Err: refusal}
}

// warnRefusedForwarding logs the forwarding rules set through the API
// that the permissions now refuse (a reload took one away). They are kept,
// since a later reload may grant it back, and refused each time they
// would forward a call.
func (sw *Switch) warnRefusedForwarding() {
	dir := sw.directory()
	sw.fwdMu.RLock()
	defer sw.fwdMu.RUnlock()
	for ext, f := range sw.fwdOverrides {
		u := dir.User(ext)
		if u == nil {
			continue
		}
		for _, r := range dir.RefusedForwarding(f, []*user{u}) {
			sw.log.Warn("forwarding set through the API is no longer permitted; calls will not be forwarded there",
				"user", ext, "rule", r.Field, "target", r.Target, "reason", r.Reason, "permission", r.Rule)
		}
	}
}
