package sip

import (
	"time"

	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// user and trunk are the directory package's: sip reads them
// everywhere, so the short names stay.
type (
	user  = orgdir.User
	trunk = orgdir.Trunk
)

// directory is the organization's directory with what of the same
// config goes with it: what a call asks (calls.Directory: record_all and
// the sip: settings a call copies) and the switch's own sip: settings.
type directory struct {
	calls.Directory
	settings settings
}

// settings are the config's sip: settings that follow a reload and that
// only the switch reads: the registrar's and the router's. A call's are
// calls.Settings, read once when it starts (see call.settings);
// voicemail limits are read when a message begins.
type settings struct {
	voicemailExtension string
	registerMaxExpires time.Duration
	maxContacts        int // per user (sip.max_contacts)
}

func newSettings(s config.SIP) settings {
	return settings{
		voicemailExtension: s.VoicemailExtension,
		registerMaxExpires: s.RegisterMaxExpires.Duration,
		maxContacts:        orDefault(s.MaxContacts, config.DefaultMaxContacts),
	}
}

func newCallSettings(s config.SIP) calls.Settings {
	return calls.Settings{
		RingTimeout:     s.RingTimeout.Duration,
		MaxCallDuration: s.MaxCallDuration.Duration,
		// nil only in a config built in code: the documented defaults.
		TransferRecall:     s.TransferRecall == nil || *s.TransferRecall,
		VoicemailDefault:   s.VoicemailDefault == nil || *s.VoicemailDefault,
		VoicemailMaxLength: s.VoicemailMaxLength.Duration,
		VoicemailSilence:   s.VoicemailSilence.Duration,
		ForwardCallerID:    s.ForwardCallerID,
		MaxForks:           orDefault(s.MaxForks, config.DefaultMaxForks),
	}
}

// orDefault is n, or def when a config built in code left n out.
func orDefault(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// newDirectory is the switch's view of the organization's directory d:
// what a call asks and the switch's settings, of d's own config.
func newDirectory(d *orgdir.Directory) *directory {
	cfg := d.Config()
	return &directory{
		Directory: calls.Directory{Directory: d, RecordAll: cfg.Media.RecordAll, Settings: newCallSettings(cfg.SIP)},
		settings:  newSettings(cfg.SIP),
	}
}

// directory is the current users, numbers, groups and trunks, with the
// settings of the same config. The Organization swaps its Directory (a
// reload, a number added); the switch derives its view once per
// Directory, on the first question after the swap.
func (sw *Switch) directory() *directory {
	d := sw.org.Directory()
	if v := sw.dir.Load(); v != nil && v.Directory.Directory == d {
		return v
	}
	v := newDirectory(d)
	// A question racing a swap may store the older view: the next one
	// sees it is not the current Directory's and derives again.
	sw.dir.Store(v)
	return v
}

// DigestHA1 is the digest secret of the users of realm (the SIP domain):
// what an Organization hashes their passwords with, so that the switch
// can authenticate them.
func DigestHA1(realm string) orgdir.HashFunc {
	return func(username, password string) string { return HA1(username, realm, password) }
}
