package config

import (
	"fmt"
	"net"
	"net/url"
)

// Webhooks is where the switch sends events for the organization's CRM
// (the dialer's attempt.completed, campaign.state and agent.state): JSON
// POSTs signed with HMAC-SHA256 of the secret, retried until delivered.
type Webhooks struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
}

// MinWebhookSecretLength is the shortest secret accepted: the CRM checks
// every event's signature with it, so it must not be guessable.
const MinWebhookSecretLength = 16

func (v *validator) validateWebhooks(w Webhooks) {
	if w.URL == "" {
		if w.Secret != "" {
			v.fail("set without url: where should events go?", "webhooks", "secret")
		}
		return
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.fail(fmt.Sprintf("%q is not an http(s) URL", w.URL), "webhooks", "url")
	} else if u.User != nil {
		v.fail("has credentials in it: the secret signs the events instead", "webhooks", "url")
	} else if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		v.warn("http: events travel unencrypted (the signature only proves who sent them); use https", "webhooks", "url")
	}
	if len(w.Secret) < MinWebhookSecretLength {
		v.fail(fmt.Sprintf("missing or shorter than %d characters: the CRM checks each event's signature with it", MinWebhookSecretLength),
			"webhooks", "secret")
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
