package sip

import "github.com/dialtone/dialtone/calls"

// checkReoffer refuses a re-INVITE or UPDATE offer that points at the
// switch's own media ports (see calls.LoopError).
func (sw *Switch) checkReoffer(offer []byte) error {
	return calls.CheckReoffer(sw.media, offer)
}
