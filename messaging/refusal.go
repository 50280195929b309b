package messaging

import (
	"errors"
	"net/http"
)

// Refusal is a text the rules refuse before it reaches the carrier:
// nothing is stored as sent and nothing is charged.
type Refusal struct {
	// Rule names the rule: sms, mms (permissions), sms_number, countries,
	// mms_countries, opted_out, credit, body, destination, carrier.
	Rule    string
	Message string
	// SIPCode is what a phone gets: 403 (not allowed), 488 (not
	// acceptable here), 404 (no such user), 503 (no carrier).
	SIPCode int
}

func (r *Refusal) Error() string { return r.Message }

// HTTPStatus is what the API answers: 422 for a rule, 402 for credit,
// 403 for a permission.
func (r *Refusal) HTTPStatus() int {
	switch r.Rule {
	case RulePermissionSMS, RulePermissionMMS:
		return http.StatusForbidden
	case RuleCredit:
		return http.StatusPaymentRequired
	case RuleNoCarrier:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnprocessableEntity
}

// Rules a text can break.
const (
	RulePermissionSMS = "sms"
	RulePermissionMMS = "mms"
	RuleSMSNumber     = "sms_number"
	RuleCountries     = "countries"
	RuleOptedOut      = "opted_out"
	RuleCredit        = "credit"
	RuleBody          = "body"
	RuleDestination   = "destination"
	RuleNoCarrier     = "carrier"
)

func refuse(rule string, sipCode int, msg string) *Refusal {
	return &Refusal{Rule: rule, Message: msg, SIPCode: sipCode}
}

// asRefusal finds a Refusal in err.
func asRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}
