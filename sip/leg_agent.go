package sip

import (
	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
)

// AgentJoinPrefix is what a phone dials to join a dialer campaign as its
// agent (the directory routes it).
const AgentJoinPrefix = orgdir.AgentJoinPrefix

// SetAgentJoin routes *55 calls to join (nil: *55 is dialled like any
// other string). The call engine answers the call and hands it over
// (calls.AgentJoin).
func (sw *Switch) SetAgentJoin(join calls.AgentJoin) { sw.agentJoin.Store(&join) }

func (sw *Switch) agentJoinHook() calls.AgentJoin {
	if p := sw.agentJoin.Load(); p != nil {
		return *p
	}
	return nil
}

// Anchors reports whether the switch anchors media, which the call
// engine's legs need.
func (sw *Switch) Anchors() bool { return sw.media != nil }
