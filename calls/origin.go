package calls

// Origin is what started a call: what the caller's INVITE said, which a
// transfer never changes (who called whom, and what the INVITEs the
// switch places copy from it), and the From user the forwarding rules
// know as the original caller. It holds no SIP message: package sip
// reads it off the INVITE. An engine call has no INVITE: only From.
type Origin struct {
	From        string
	Dialed      string // the user or number the caller dialled
	SIPCallID   string // the INVITE's Call-ID, which the call's log lines carry
	Display     string // the caller's display name
	MaxForwards int    // the INVITE's Max-Forwards; 0: none
	ContentType string // the type of the caller's offer; "": none (SDP)
}

// Replaces names the dialog an attended transfer replaces (RFC 3891) by
// Call-ID and tags, as the transferor sees it.
type Replaces struct {
	CallID  string
	ToTag   string // the far end's tag, from the transferor's side: ours
	FromTag string // the transferor's own tag
}
