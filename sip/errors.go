package sip

import (
	"fmt"
	"strconv"

	"github.com/dialtone/dialtone/calls"
	"github.com/emiago/sipgo/sip"
)

// callError is a refusal the caller hears as a SIP status; every refusal
// path builds one, so the handler never guesses the response. This file
// is where the call loop's refusals (package calls, which names its
// statuses and knows no SIP: calls.Status*, each sipgo's status of the
// same name) become SIP: the response's code and phrase, and the Reason
// and Retry-After headers.
type callError = calls.Refusal

// refusalHeaders are the response's headers that say why: Reason
// (RFC 3326) and Retry-After.
func refusalHeaders(e *callError) []sip.Header {
	var hdrs []sip.Header
	if e.Reason != "" {
		hdrs = append(hdrs, sip.NewHeader("Reason", fmt.Sprintf("SIP;cause=%d;text=%q", e.Code, e.Reason)))
	}
	if e.RetryAfter > 0 {
		hdrs = append(hdrs, sip.NewHeader("Retry-After", strconv.Itoa(e.RetryAfter)))
	}
	return hdrs
}

// asCallError is package calls' RefusalOf: the call loop refuses calls,
// and sip only says its refusals as SIP.
var asCallError = calls.RefusalOf
