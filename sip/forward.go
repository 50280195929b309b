package sip

import (
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// hop is one place the outgoing leg of a call rings; the directory
// decides where forwarding goes (package directory's Forwarder), the call
// rings it and writes its legs.
type hop = orgdir.Hop

// forwardingOf is a user's forwarding: set through the API, else the config.
func (sw *Switch) forwardingOf(u *user) config.Forwarding { return sw.fwd.Of(u) }
