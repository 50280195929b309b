package calls

// The statuses a call's legs end with, and a caller or a transferor is
// told. They are SIP's numbers because a leg's CDR keeps the SIP code
// (billing.CDR.SIPCode, which the CRM and the reports read); the loop
// names them here instead of writing numbers, and package sip, which says
// them on the wire, checks that each is sipgo's status of the same name
// (sip/errors.go).
const (
	StatusTrying          = 100
	StatusRinging         = 180
	StatusSessionProgress = 183 // early media

	StatusOK = 200

	StatusBadRequest                  = 400
	StatusUnauthorized                = 401
	StatusPaymentRequired             = 402
	StatusForbidden                   = 403
	StatusNotFound                    = 404
	StatusProxyAuthRequired           = 407
	StatusRequestTimeout              = 408
	StatusTemporarilyUnavailable      = 480
	StatusCallTransactionDoesNotExist = 481
	StatusLoopDetected                = 482
	StatusBusyHere                    = 486
	StatusRequestTerminated           = 487
	StatusNotAcceptableHere           = 488
	StatusRequestPending              = 491

	StatusInternalServerError = 500
	StatusServiceUnavailable  = 503

	StatusBusyEverywhere = 600
	StatusDecline        = 603
)

// isFailure reports a final failure (4xx, 5xx, 6xx).
func isFailure(code int) bool { return code >= StatusBadRequest }
