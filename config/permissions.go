package config

import (
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/phone"
)

// CallRefusal says why a user may not place a leg to an outside number.
type CallRefusal struct {
	// Rule is what the leg lacks: the permission a role would have to
	// grant (calls.outbound, calls.international, calls.premium), or
	// caller_ids when the user has no caller ID to present.
	Rule string
	// Reason is the sentence a caller (SIP Reason header) or an admin
	// (config error, API error) reads.
	Reason string
}

func (r *CallRefusal) Error() string { return r.Reason }

// RuleCallerID is the rule a user without any caller ID breaks.
const RuleCallerID = "caller_ids"

// CheckOutsideCall is the permission check of every leg the switch places
// to an outside number on behalf of a user: a call the user dials, a
// transfer the user makes, the user's forwarding (or the forwarding of a
// number the user owns) and the dialer's calls. perms are the permissions
// the user's role grants, callerID the number the leg is judged from
// (international means outside its country), e164 the destination. It is
// the only copy of these rules, so the dial path, the config loader and
// the forwarding API cannot disagree about what a user may call.
func CheckOutsideCall(perms map[string]bool, callerID, e164 string) *CallRefusal {
	if !perms[PermCallsOutbound] {
		return &CallRefusal{PermCallsOutbound, "outbound calls not permitted for this user"}
	}
	if callerID == "" {
		return &CallRefusal{RuleCallerID, "no caller ID configured for this user"}
	}
	if phone.Country(e164) != phone.Country(callerID) && !perms[PermCallsInternational] {
		return &CallRefusal{PermCallsInternational, "international calls not permitted for this user"}
	}
	if phone.IsPremium(e164) && !perms[PermCallsPremium] {
		return &CallRefusal{PermCallsPremium, "premium-rate numbers not permitted for this user"}
	}
	return nil
}

// RolePermissions are the permissions each role grants, by role name.
func (c *Config) RolePermissions() map[string]map[string]bool {
	perms := map[string]map[string]bool{}
	for _, r := range c.Roles {
		p := map[string]bool{}
		for _, x := range r.Permissions {
			p[x] = true
		}
		perms[r.Name] = p
	}
	return perms
}

// DefaultCallerID is the caller ID a user's legs present unless the user
// picks another: the first configured.
func DefaultCallerID(callerIDs []string) string {
	if len(callerIDs) == 0 {
		return ""
	}
	return callerIDs[0]
}

// Caller is someone a leg to an outside number is placed for, as the
// permission check sees them: the permissions of their role and the
// caller ID the leg is judged from.
type Caller struct {
	Name     string // extension, for messages
	Perms    map[string]bool
	CallerID string
}

// CheckOutsideCallFor checks a leg placed for several callers at once:
// the forwarding of a number a group owns is placed for every member, so
// it must be a call each of them may dial (the least-privileged member
// decides; a group cannot lend one member's permissions to another). No
// caller at all is refused: there is nobody whose permissions allow it.
func CheckOutsideCallFor(callers []Caller, e164 string) (who string, refusal *CallRefusal) {
	if len(callers) == 0 {
		return "", &CallRefusal{PermCallsOutbound, "no user whose permissions allow the call"}
	}
	for _, c := range callers {
		if r := CheckOutsideCall(c.Perms, c.CallerID, e164); r != nil {
			return c.Name, r
		}
	}
	return "", nil
}

// ForwardingRefusal is a forwarding rule whose target its owner may not
// call.
type ForwardingRefusal struct {
	Field  string // always, busy, no_answer, unregistered
	Target string // the E.164 number
	Caller string // the user refused (a group member), if one
	*CallRefusal
}

// Message is the refusal as an admin reads it.
func (f ForwardingRefusal) Message() string {
	who := ""
	if f.Caller != "" {
		who = " (user " + f.Caller + ")"
	}
	return fmt.Sprintf("forwarding to %s refused%s: %s (rule %s)", f.Target, who, f.Reason, f.Rule)
}

// CheckForwardingPermissions returns a refusal per rule of f whose target
// is an outside number (not one of the organization's: those ring inside)
// that callers may not call. Targets that are not valid numbers are
// CheckForwarding's to report.
func CheckForwardingPermissions(f Forwarding, callers []Caller, ownNumber func(e164 string) bool) []ForwardingRefusal {
	var out []ForwardingRefusal
	for _, r := range f.rules() {
		if !strings.HasPrefix(r.target, "+") {
			continue
		}
		e164, err := phone.Normalize(r.target, "")
		if err != nil || ownNumber(e164) {
			continue
		}
		if who, refusal := CheckOutsideCallFor(callers, e164); refusal != nil {
			if len(callers) == 1 {
				who = "" // the rule's owner: saying so again adds nothing
			}
			out = append(out, ForwardingRefusal{Field: r.field, Target: e164, Caller: who, CallRefusal: refusal})
		}
	}
	return out
}

type forwardingRule struct{ field, target string }

// rules are f's rules that are set, by field name.
func (f Forwarding) rules() []forwardingRule {
	var out []forwardingRule
	for _, r := range []forwardingRule{{"always", f.Always}, {"busy", f.Busy}, {"no_answer", f.NoAnswer}, {"unregistered", f.Unregistered}} {
		if r.target != "" {
			out = append(out, r)
		}
	}
	return out
}
