package sip

import (
	"net/netip"
	"time"

	"github.com/dialtone/dialtone/config"
)

// user is a configured user as the switch needs it: no plaintext password.
type user struct {
	Extension   string
	Name        string
	DisplayName string
	ha1         map[string]string // by auth username (extension and name)
	Permissions map[string]bool
	CallerIDs   []string
	MaxCalls    int
	Forwarding  config.Forwarding
	Record      bool
	Greeting    string // WAV path, resolved against the config it came from
}

func (u *user) may(perm string) bool { return u.Permissions[perm] }

// trunk is a configured carrier trunk.
type trunk struct {
	config.Trunk
	sources []netip.Prefix
}

// number is an organization phone number.
type number = config.Number

// directory answers "who is this" and "where does this go" from the config.
type directory struct {
	users   map[string]*user // by extension and by name
	numbers map[string]*number
	groups  map[string][]string // group name -> extensions
	trunks  []*trunk
	// recordAll is media.record_all: here, not read from the config the
	// switch started with, so that it changes on reload together with the
	// users' and numbers' own record flags.
	recordAll bool
	// settings are the sip: settings a reload changes, for the same reason.
	settings settings
}

// settings are the config's sip: settings that follow a reload. A call
// reads them once, when it starts (see call.settings), so one call never
// mixes two configs; voicemail limits are read when a message begins.
type settings struct {
	ringTimeout        time.Duration
	maxCallDuration    time.Duration
	transferRecall     bool
	voicemailDefault   bool
	voicemailExtension string
	voicemailMaxLength time.Duration
	voicemailSilence   time.Duration
	forwardCallerID    string
	registerMaxExpires time.Duration
	maxContacts        int // per user (sip.max_contacts)
	maxForks           int // contacts one call rings (sip.max_forks)
}

func newSettings(s config.SIP) settings {
	return settings{
		ringTimeout:     s.RingTimeout.Duration,
		maxCallDuration: s.MaxCallDuration.Duration,
		// nil only in a config built in code: the documented defaults.
		transferRecall:     s.TransferRecall == nil || *s.TransferRecall,
		voicemailDefault:   s.VoicemailDefault == nil || *s.VoicemailDefault,
		voicemailExtension: s.VoicemailExtension,
		voicemailMaxLength: s.VoicemailMaxLength.Duration,
		voicemailSilence:   s.VoicemailSilence.Duration,
		forwardCallerID:    s.ForwardCallerID,
		registerMaxExpires: s.RegisterMaxExpires.Duration,
		maxContacts:        orDefault(s.MaxContacts, config.DefaultMaxContacts),
		maxForks:           orDefault(s.MaxForks, config.DefaultMaxForks),
	}
}

// orDefault is n, or def when a config built in code left n out.
func orDefault(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

func newDirectory(cfg *config.Config, realm string) *directory {
	d := &directory{users: map[string]*user{}, numbers: map[string]*number{}, groups: map[string][]string{},
		recordAll: cfg.Media.RecordAll, settings: newSettings(cfg.SIP)}
	perms := cfg.RolePermissions()
	for _, cu := range cfg.Users {
		u := &user{
			Extension:   cu.Extension,
			Name:        cu.Name,
			DisplayName: cu.DisplayName,
			ha1:         map[string]string{cu.Extension: HA1(cu.Extension, realm, cu.Password)},
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
			u.ha1[cu.Name] = HA1(cu.Name, realm, cu.Password)
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
		tr := &trunk{Trunk: t}
		for _, s := range t.AllowedSources {
			if p, err := config.ParseSource(s); err == nil {
				tr.sources = append(tr.sources, p)
			}
		}
		d.trunks = append(d.trunks, tr)
	}
	return d
}

func (d *directory) user(name string) *user { return d.users[name] }

// trunkFor returns the trunk whose allowed sources hold host.
func (d *directory) trunkFor(host string) *trunk {
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

// outboundTrunk picks the trunk for calls to the public network.
func (d *directory) outboundTrunk() *trunk {
	if len(d.trunks) == 0 {
		return nil
	}
	return d.trunks[0]
}

// owners returns the extensions that ring for an organization number.
func (d *directory) owners(n *number) []string {
	if n.User != "" {
		return []string{n.User}
	}
	return d.groups[n.Group]
}

// ownerUsers are the users an organization number belongs to.
func (d *directory) ownerUsers(n *number) []*user {
	var out []*user
	for _, ext := range d.owners(n) {
		if u := d.user(ext); u != nil {
			out = append(out, u)
		}
	}
	return out
}
