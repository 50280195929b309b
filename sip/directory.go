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

// directory is the organization's directory (who is this, where does
// this go) with the sip: settings of the same config, swapped in together
// on reload.
type directory struct {
	*orgdir.Directory
	// recordAll is media.record_all: here, not read from the config the
	// switch started with, so that it changes on reload together with the
	// users' and numbers' own record flags.
	recordAll bool
	// settings are the sip: settings a reload changes, for the same reason.
	settings settings
}

// settings are the config's sip: settings that follow a reload: the
// ones a call follows (calls.Settings), which a call reads once, when it
// starts (see call.settings), and the registrar's and the router's;
// voicemail limits are read when a message begins.
type settings struct {
	calls.Settings
	voicemailExtension string
	registerMaxExpires time.Duration
	maxContacts        int // per user (sip.max_contacts)
}

func newSettings(s config.SIP) settings {
	return settings{
		Settings: calls.Settings{
			RingTimeout:     s.RingTimeout.Duration,
			MaxCallDuration: s.MaxCallDuration.Duration,
			// nil only in a config built in code: the documented defaults.
			TransferRecall:     s.TransferRecall == nil || *s.TransferRecall,
			VoicemailDefault:   s.VoicemailDefault == nil || *s.VoicemailDefault,
			VoicemailMaxLength: s.VoicemailMaxLength.Duration,
			VoicemailSilence:   s.VoicemailSilence.Duration,
			ForwardCallerID:    s.ForwardCallerID,
			MaxForks:           orDefault(s.MaxForks, config.DefaultMaxForks),
		},
		voicemailExtension: s.VoicemailExtension,
		registerMaxExpires: s.RegisterMaxExpires.Duration,
		maxContacts:        orDefault(s.MaxContacts, config.DefaultMaxContacts),
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
	ha1 := func(username, password string) string { return HA1(username, realm, password) }
	return &directory{Directory: orgdir.New(cfg, ha1), recordAll: cfg.Media.RecordAll, settings: newSettings(cfg.SIP)}
}
