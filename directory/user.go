package directory

import (
	"slices"

	"github.com/dialtone/dialtone/config"
)

// User is a configured user as the switch needs it: no plaintext password.
type User struct {
	Extension   string
	Name        string
	DisplayName string
	HA1         map[string]string // digest secrets by auth username (extension and name)
	Permissions map[string]bool   // those the user's role grants
	CallerIDs   []string
	MaxCalls    int
	Forwarding  config.Forwarding
	Record      bool
	Greeting    string // WAV path, resolved against the config it came from
}

// May says whether the user's role grants perm.
func (u *User) May(perm string) bool { return u.Permissions[perm] }

// DefaultCallerID is the number the user's calls present unless the user
// picks another (empty: the user has none).
func (u *User) DefaultCallerID() string { return config.DefaultCallerID(u.CallerIDs) }

// Verified says whether e164 is one of the user's caller IDs: the only
// numbers the user may present.
func (u *User) Verified(e164 string) bool { return slices.Contains(u.CallerIDs, e164) }
