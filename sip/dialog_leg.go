package sip

import (
	"errors"
)

// The call loop drives its legs through calls.Dialog: an inboundLeg is
// the INVITE the switch received, a server dialog (leg_inbound.go); an
// outboundLeg is an INVITE the switch placed that was answered, a client
// dialog (leg_outbound.go). What only one kind can do fails on the other
// with errWrongSide.

var errWrongSide = errors.New("not possible on this side of the call")
