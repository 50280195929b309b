package sip

import (
	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
)

// SetVoicemail gives the switch its mailboxes (package voicemail); call
// it before Start. The switch answers a caller's leg with its own media
// endpoint and hands it over, and reads the counts for the
// message-waiting lamps (mwi.go). A switch without them sends no call to
// voicemail.
func (sw *Switch) SetVoicemail(v calls.Voicemail) { sw.voicemail = v }

// User is the user named (extension or name) in the config applied now.
func (sw *Switch) User(name string) *orgdir.User { return sw.directory().User(name) }
