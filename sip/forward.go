package sip

import (
	"github.com/dialtone/dialtone/config"
)

// forwardingOf is a user's forwarding: set through the API, else the config.
func (sw *Switch) forwardingOf(u *user) config.Forwarding { return sw.fwd.Of(u) }
