package sip

import (
	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
)

// Voicemail is the mailboxes (package voicemail): the switch answers a
// caller's leg with its own media endpoint and hands it over, and reads
// the counts for the message-waiting lamps (mwi.go).
type Voicemail = calls.Voicemail

// SetVoicemail gives the switch its mailboxes; call it before Start. A
// switch without them sends no call to voicemail.
func (sw *Switch) SetVoicemail(v Voicemail) { sw.voicemail = v }

// User is the user named (extension or name) in the config applied now.
func (sw *Switch) User(name string) *orgdir.User { return sw.directory().User(name) }
