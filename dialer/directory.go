package dialer

import (
	"fmt"
	"slices"

	"github.com/dialtone/dialtone/config"
)

// Directory is what the dialer asks about users and numbers; the switch's
// config answers (ConfigDirectory). The rules themselves are
// config.CheckOutsideCall's, the one copy a hand-dialled call uses too.
type Directory interface {
	// Permissions are the permissions of the user's role; ok is false
	// when there is no such user.
	Permissions(user string) (perms map[string]bool, ok bool)
	// CallerIDs are the numbers the organization may present: its
	// numbers and its users' verified caller IDs.
	CallerIDs() []string
}

// mayCall is the check of a hand-dialled call of user from callerID to
// e164.
func mayCall(dir Directory, user, callerID, e164 string) error {
	perms, ok := dir.Permissions(user)
	if !ok {
		return fmt.Errorf("no user %s", user)
	}
	if r := config.CheckOutsideCall(perms, callerID, e164); r != nil {
		return r
	}
	return nil
}

// mayDial checks an agent may work a campaign at all: the dialer
// permission and outbound calls.
func mayDial(dir Directory, user string) error {
	perms, ok := dir.Permissions(user)
	if !ok {
		return fmt.Errorf("no user %s", user)
	}
	for _, p := range []string{config.PermDialer, config.PermCallsOutbound} {
		if !perms[p] {
			return fmt.Errorf("user %s lacks the %s permission", user, p)
		}
	}
	return nil
}

// ConfigDirectory answers from the running config (Config is read at
// each question, so a SIGHUP applies) and the numbers rented through the
// API (ExtraNumbers, optional).
type ConfigDirectory struct {
	Config       func() *config.Config
	ExtraNumbers func() []config.Number
}

// Permissions implements Directory.
func (d ConfigDirectory) Permissions(user string) (map[string]bool, bool) {
	cfg := d.Config()
	for _, u := range cfg.Users {
		if u.Extension == user {
			return cfg.RolePermissions()[u.Role], true
		}
	}
	return nil, false
}

// CallerIDs implements Directory.
func (d ConfigDirectory) CallerIDs() []string {
	cfg := d.Config()
	var out []string
	for _, n := range cfg.Numbers {
		out = append(out, n.Number)
	}
	if d.ExtraNumbers != nil {
		for _, n := range d.ExtraNumbers() {
			out = append(out, n.Number)
		}
	}
	for _, u := range cfg.Users {
		out = append(out, u.CallerIDs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
