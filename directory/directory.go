package directory

import (
	"net/netip"

	"github.com/dialtone/dialtone/config"
)

// Number is an organization phone number.
type Number = config.Number

// Trunk is a configured carrier trunk.
type Trunk struct {
	config.Trunk
	sources []netip.Prefix
}

// Directory answers "who is this" and "where does this go" from one config.
type Directory struct {
	cfg     *config.Config
	users   map[string]*User // by extension and by name
	numbers map[string]*Number
	groups  map[string][]string // group name -> extensions
	trunks  []*Trunk
}

// HashFunc is the digest secret (HA1) of a user's auth username and
// password; the directory keeps it so no plaintext password stays around.
type HashFunc func(username, password string) string

// New builds the directory of cfg; ha1 hashes each user's password under
// each of the user's auth usernames (extension and name).
func New(cfg *config.Config, ha1 HashFunc) *Directory {
	d := &Directory{cfg: cfg, users: map[string]*User{}, numbers: map[string]*Number{}, groups: map[string][]string{}}
	perms := cfg.RolePermissions()
	for _, cu := range cfg.Users {
		u := &User{
			Extension:   cu.Extension,
			Name:        cu.Name,
			DisplayName: cu.DisplayName,
			HA1:         map[string]string{cu.Extension: ha1(cu.Extension, cu.Password)},
			Permissions: perms[cu.Role],
			CallerIDs:   cu.CallerIDs,
			MaxCalls:    cu.MaxCalls,
			Forwarding:  cu.Forwarding,
			Record:      cu.Record,
			Greeting:    cfg.ResolvePath(cu.VoicemailGreeting),
		}
		if u.DisplayName == "" {
			u.DisplayName = cu.Name
		}
		d.users[cu.Extension] = u
		if cu.Name != "" {
			u.HA1[cu.Name] = ha1(cu.Name, cu.Password)
			d.users[cu.Name] = u
		}
	}
	for _, g := range cfg.Groups {
		d.groups[g.Name] = g.Members
	}
	for _, n := range cfg.Numbers {
		d.numbers[n.Number] = &n
	}
	for _, t := range cfg.Trunks {
		tr := &Trunk{Trunk: t}
		for _, s := range t.AllowedSources {
			if p, err := config.ParseSource(s); err == nil {
				tr.sources = append(tr.sources, p)
			}
		}
		d.trunks = append(d.trunks, tr)
	}
	return d
}

// Config is the config the directory was built from: an Organization's
// is the config applied with every number, those rented through the API
// too. The settings a caller reads beside the directory come from it, so
// they change with it and never apart.
func (d *Directory) Config() *config.Config { return d.cfg }

// User is the user with extension or name, or nil.
func (d *Directory) User(name string) *User { return d.users[name] }

// UserNames are every extension and name a user answers to.
func (d *Directory) UserNames() map[string]bool {
	out := make(map[string]bool, len(d.users))
	for name := range d.users {
		out[name] = true
	}
	return out
}

// Group is the extensions of the group name; ok is false when there is
// no such group.
func (d *Directory) Group(name string) (members []string, ok bool) {
	members, ok = d.groups[name]
	return members, ok
}

// GroupNames are the names of every group.
func (d *Directory) GroupNames() map[string]bool {
	out := make(map[string]bool, len(d.groups))
	for name := range d.groups {
		out[name] = true
	}
	return out
}

// Number is the organization number e164, or nil when it is not one.
func (d *Directory) Number(e164 string) *Number { return d.numbers[e164] }

// OwnNumber says whether e164 is one of the organization's numbers.
func (d *Directory) OwnNumber(e164 string) bool { return d.numbers[e164] != nil }

// TrunkFor returns the trunk whose allowed sources hold host.
func (d *Directory) TrunkFor(host string) *Trunk {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	for _, t := range d.trunks {
		for _, p := range t.sources {
			if p.Contains(a) {
				return t
			}
		}
	}
	return nil
}

// OutboundTrunk picks the trunk for calls to the public network.
func (d *Directory) OutboundTrunk() *Trunk {
	if len(d.trunks) == 0 {
		return nil
	}
	return d.trunks[0]
}

// Owners returns the extensions that ring for an organization number.
func (d *Directory) Owners(n *Number) []string {
	if n.User != "" {
		return []string{n.User}
	}
	return d.groups[n.Group]
}

// OwnerUsers are the users an organization number belongs to.
func (d *Directory) OwnerUsers(n *Number) []*User { return d.Users(d.Owners(n), nil) }

// GroupUsers are the users of the group name (none when there is no such
// group) that ring accepts.
func (d *Directory) GroupUsers(name string, ring func(*User) bool) []*User {
	return d.Users(d.groups[name], ring)
}

// Users are the users of exts, in order, that ring accepts (nil: all):
// where a call to a group or number rings once the caller, a user who may
// not take the call or one already rung are left out. Unknown extensions
// are skipped.
func (d *Directory) Users(exts []string, ring func(*User) bool) []*User {
	var out []*User
	for _, ext := range exts {
		if u := d.User(ext); u != nil && (ring == nil || ring(u)) {
			out = append(out, u)
		}
	}
	return out
}
