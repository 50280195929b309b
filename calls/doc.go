// Package calls is the call engine the dialer (and later the API) drives:
// it places legs (Originate), answers for nobody but keeps every leg it
// holds alive with its own media end (comfort silence), connects two legs'
// media (Bridge, Unbridge), plays prompts (Play), ends legs (Hangup) and
// streams what happens to them (Subscribe).
//
// It is written against a small Leg interface and package media, not
// against SIP: package sip's engine legs are adapted in sipnet.go, and the
// tests drive the engine with fake legs. The checks of a hand-dialled call
// (permission, caller ID, credit) are the Network's: the switch applies
// its own rules when it places a leg.
package calls
