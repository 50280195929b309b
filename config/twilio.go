package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Twilio configures texts through Twilio's Messages API and the webhooks
// Twilio calls back (inbound texts, delivery status).
type Twilio struct {
	AccountSID string `yaml:"account_sid"`
	AuthToken  string `yaml:"auth_token"`
	// WebhookBaseURL is the public URL Twilio reaches the switch's HTTP
	// API at (https://switch.example.com): webhook signatures are computed
	// over it, and status callbacks are sent to it.
	WebhookBaseURL string `yaml:"webhook_base_url"`
	// APIBaseURL replaces https://api.twilio.com: for testing against a
	// fake and for regional endpoints. Empty: Twilio's.
	APIBaseURL string `yaml:"api_base_url"`
	// RatePerNumber is how many texts per second one sending number may
	// hand to Twilio (default 1, a long code's rate).
	RatePerNumber float64 `yaml:"rate_per_number"`
}

// DefaultTwilioRate is a long code's sending rate, texts per second.
const DefaultTwilioRate = 1.0

// MaxTwilioRate bounds rate_per_number: no sender Twilio sells goes
// faster (a short code: 100 per second).
const MaxTwilioRate = 100.0

// Enabled says whether texts go out through Twilio.
func (t Twilio) Enabled() bool { return t.AccountSID != "" }

func (v *validator) validateTwilio(c *Config) {
	t := &c.Twilio
	if t.RatePerNumber == 0 {
		t.RatePerNumber = DefaultTwilioRate
	}
	if t.RatePerNumber < 0 || t.RatePerNumber > MaxTwilioRate {
		v.fail(fmt.Sprintf("%v texts per second: want more than 0 and at most %v", t.RatePerNumber, MaxTwilioRate), "twilio", "rate_per_number")
	}
	for i, n := range c.Numbers {
		if n.SMS && !t.Enabled() {
			v.warn("sms: true but no twilio account: texts to outside numbers cannot be sent", "numbers", i, "sms")
		}
	}
	if t.AccountSID == "" && t.AuthToken == "" && t.WebhookBaseURL == "" {
		return
	}
	if !strings.HasPrefix(t.AccountSID, "AC") || len(t.AccountSID) < 10 {
		v.fail(fmt.Sprintf("%q is not a Twilio account SID (AC...)", t.AccountSID), "twilio", "account_sid")
	}
	if t.AuthToken == "" {
		v.fail("missing: webhooks cannot be verified without it", "twilio", "auth_token")
	} else if !alphanumeric(t.AuthToken) {
		v.fail("has characters other than letters and digits: not a Twilio auth token", "twilio", "auth_token")
	}
	for _, f := range []struct {
		value, field string
		required     bool
	}{{t.WebhookBaseURL, "webhook_base_url", true}, {t.APIBaseURL, "api_base_url", false}} {
		if f.value == "" {
			if f.required {
				v.fail("missing: the public URL Twilio calls the switch at", "twilio", f.field)
			}
			continue
		}
		u, err := url.Parse(f.value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.fail(fmt.Sprintf("%q is not an http(s) URL", f.value), "twilio", f.field)
		}
	}
}

func alphanumeric(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
