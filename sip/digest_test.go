package sip

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/icholy/digest"
)

// answer builds the credentials a phone would send for a challenge.
func answer(t *testing.T, challenge, method, uri, user, password string) *digest.Credentials {
	t.Helper()
	chal, err := digest.ParseChallenge(challenge)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: method, URI: uri, Username: user, Password: password, Cnonce: "0a4f113b", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parseCredentials(cred.String())
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

func TestDigestVerification(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	d := newDigestAuth("example.org", 5*time.Minute)
	d.now = func() time.Time { return now }
	ha1 := HA1("alice", "example.org", "alice-secret")

	tests := []struct {
		name     string
		password string
		method   string
		later    time.Duration
		want     error
	}{
		{"the right password passes", "alice-secret", "REGISTER", 0, nil},
		{"a wrong password fails", "guess", "REGISTER", 0, errBadCredentials},
		{"a nonce past its lifetime is stale, not wrong", "alice-secret", "REGISTER", 6 * time.Minute, errStaleNonce},
		{"a wrong password with an old nonce still fails", "guess", "INVITE", 6 * time.Minute, errBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := answer(t, d.challenge(false), tt.method, "sip:example.org", "alice", tt.password)
			saved := d.now
			d.now = func() time.Time { return now.Add(tt.later) }
			defer func() { d.now = saved }()
			err := d.verify(creds, tt.method, ha1)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("verify: got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("a nonce from another secret (a restart) is stale", func(t *testing.T) {
		other := newDigestAuth("example.org", 5*time.Minute)
		creds := answer(t, other.challenge(false), "REGISTER", "sip:example.org", "alice", "alice-secret")
		if err := d.verify(creds, "REGISTER", ha1); !errors.Is(err, errStaleNonce) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the response is bound to the method", func(t *testing.T) {
		creds := answer(t, d.challenge(false), "REGISTER", "sip:example.org", "alice", "alice-secret")
		if err := d.verify(creds, "INVITE", ha1); !errors.Is(err, errBadCredentials) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the stale flag is in the challenge", func(t *testing.T) {
		chal, err := digest.ParseChallenge(d.challenge(true))
		if err != nil || !chal.Stale || !chal.SupportsQOP("auth") {
			t.Fatalf("challenge %+v, %v", chal, err)
		}
	})
}

func FuzzDigestCredentials(f *testing.F) {
	d := newDigestAuth("example.org", time.Minute)
	f.Add(fmt.Sprintf(`Digest username="alice", realm="example.org", nonce=%q, uri="sip:x", response="00", qop=auth, nc=00000001, cnonce="a"`, d.nonce()))
	f.Add(`Digest username="a"`)
	f.Add(`Basic YWxhZGRpbjpvcGVuc2VzYW1l`)
	f.Fuzz(func(t *testing.T, header string) {
		creds, err := parseCredentials(header)
		if err != nil {
			return
		}
		// Arbitrary credentials must never verify against a real HA1.
		if err := d.verify(creds, "REGISTER", HA1("alice", "example.org", "alice-secret")); err == nil {
			t.Fatalf("forged credentials verified: %q", header)
		}
	})
}
