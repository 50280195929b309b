package directory

import "github.com/dialtone/dialtone/config"

// CheckOutsideCall is config.CheckOutsideCall for a leg u places to the
// outside number e164 presenting callerID.
func (u *User) CheckOutsideCall(callerID, e164 string) *config.CallRefusal {
	return config.CheckOutsideCall(u.Permissions, callerID, e164)
}

// Callers are users as the permission check sees them: their role's
// permissions, judged from their default caller ID.
func Callers(users []*User) []config.Caller {
	out := make([]config.Caller, len(users))
	for i, u := range users {
		out[i] = config.Caller{Name: u.Extension, Perms: u.Permissions, CallerID: u.DefaultCallerID()}
	}
	return out
}

// MayCallOutside checks a leg to the outside number e164 placed for users
// who did not dial it themselves (a forward under their rules, a dialer's
// call): each of them must be allowed it from their default caller ID.
// who is the user refused, when there is one.
func MayCallOutside(users []*User, e164 string) (who string, refusal *config.CallRefusal) {
	return config.CheckOutsideCallFor(Callers(users), e164)
}

// RefusedForwarding are the rules of f whose outside targets owners may
// not call; targets that are organization numbers ring inside and are
// never refused.
func (d *Directory) RefusedForwarding(f config.Forwarding, owners []*User) []config.ForwardingRefusal {
	return config.CheckForwardingPermissions(f, Callers(owners), d.OwnNumber)
}

// RefuseOutsideCall is the check before a leg to the outside number e164
// is placed for users who did not dial it themselves now: a forward under
// their rules (a number's rules: its owner, or every member of the group
// that owns it) or a dialer's call. It refuses (ErrForbidden) with the
// reason, naming the user refused when there are several, or returns nil.
// A call a user dials, and a transfer, go through RouteDialed, which
// checks the same config.CheckOutsideCall with the caller ID the user
// picked.
func RefuseOutsideCall(users []*User, e164 string) *Refusal {
	who, refusal := MayCallOutside(users, e164)
	if refusal == nil {
		return nil
	}
	reason := refusal.Reason
	if len(users) > 1 && who != "" {
		reason += " (" + who + ")"
	}
	return &Refusal{Kind: ErrForbidden, Reason: reason, Err: refusal}
}
