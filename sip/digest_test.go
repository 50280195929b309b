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
	return answerNC(t, challenge, method, uri, user, password, 1)
}

// answerNC is answer with the nonce count nc.
func answerNC(t *testing.T, challenge, method, uri, user, password string, nc int) *digest.Credentials {
	t.Helper()
	chal, err := digest.ParseChallenge(challenge)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: method, URI: uri, Username: user, Password: password, Cnonce: "0a4f113b", Count: nc})
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
			err := d.verify(creds, digestRequest{method: tt.method, uri: "sip:example.org", tx: tt.name}, ha1)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("verify: got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("a nonce from another secret (a restart) is stale", func(t *testing.T) {
		other := newDigestAuth("example.org", 5*time.Minute)
		creds := answer(t, other.challenge(false), "REGISTER", "sip:example.org", "alice", "alice-secret")
		if err := d.verify(creds, digestRequest{method: "REGISTER", uri: "sip:example.org"}, ha1); !errors.Is(err, errStaleNonce) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the response is bound to the method", func(t *testing.T) {
		creds := answer(t, d.challenge(false), "REGISTER", "sip:example.org", "alice", "alice-secret")
		if err := d.verify(creds, digestRequest{method: "INVITE", uri: "sip:example.org"}, ha1); !errors.Is(err, errBadCredentials) {
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
		if err := d.verify(creds, digestRequest{method: "REGISTER", uri: "sip:x"}, HA1("alice", "example.org", "alice-secret")); err == nil {
			t.Fatalf("forged credentials verified: %q", header)
		}
	})
}

// TestDigestReplayIsRefused plays a captured Authorization header against
// the verifier: each step is a request the switch receives, in order, all
// with the same nonce unless said otherwise.
func TestDigestReplayIsRefused(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	d := newDigestAuth("example.org", 5*time.Minute)
	d.now = func() time.Time { return now }
	ha1 := HA1("1001", "example.org", "alice-secret")
	const callURI = "sip:+14155550199@example.org:5060"
	chal := d.challenge(false)
	steps := []struct {
		name       string
		nc         int
		digestURI  string // what the phone hashed
		requestURI string // where the request goes
		tx         string
		want       error
	}{
		{"the phone's request passes", 1, callURI, callURI, "tx1", nil},
		{"its UDP retransmission (same transaction, same nc) passes", 1, callURI, callURI, "tx1", nil},
		{"the same header in another transaction is a replay", 1, callURI, callURI, "tx-attacker", errNonceReused},
		{"the header sent to another number is refused", 1, callURI, "sip:+61291234567@example.org:5060", "tx-attacker2", errWrongURI},
		{"the phone's next request with nc+1 passes", 2, callURI, callURI, "tx2", nil},
		{"a skipped count is fine, it only has to go up", 5, callURI, callURI, "tx3", nil},
		{"a count going backwards is refused", 4, callURI, callURI, "tx4", errNonceReused},
		{"the last count again in another transaction is refused", 5, callURI, callURI, "tx5", errNonceReused},
		{"the Request-URI may differ in parameters, their order and case, and the default port",
			6, "sip:+14155550199@EXAMPLE.org;transport=udp;user=phone", "sip:+14155550199@example.org:5060;user=phone;transport=UDP", "tx6", nil},
		{"another user at the same host is another target", 7, callURI, "sip:+14155550198@example.org:5060", "tx7", errWrongURI},
	}
	for _, s := range steps {
		creds := answerNC(t, chal, "INVITE", s.digestURI, "1001", "alice-secret", s.nc)
		err := d.verify(creds, digestRequest{method: "INVITE", uri: s.requestURI, tx: s.tx}, ha1)
		if !errors.Is(err, s.want) && !(s.want == nil && err == nil) {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.want)
		}
	}
	t.Run("a fresh nonce starts its own count", func(t *testing.T) {
		creds := answerNC(t, d.challenge(true), "INVITE", callURI, "1001", "alice-secret", 1)
		if err := d.verify(creds, digestRequest{method: "INVITE", uri: callURI, tx: "tx8"}, ha1); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("every challenge has its own nonce, even within one clock tick", func(t *testing.T) {
		if a, b := d.challenge(false), d.challenge(false); a == b {
			t.Fatalf("two challenges share a nonce: %s", a)
		}
	})
}

// TestDigestWithoutQOPIsRefused: an RFC 2069 response (no qop, so no nonce
// count) would be replayable; it is refused even with the right password.
func TestDigestWithoutQOPIsRefused(t *testing.T) {
	d := newDigestAuth("example.org", 5*time.Minute)
	ha1 := HA1("1001", "example.org", "alice-secret")
	nonce := d.nonce()
	uri := "sip:example.org"
	response := md5hex(ha1 + ":" + nonce + ":" + md5hex("REGISTER:"+uri))
	creds, err := parseCredentials(fmt.Sprintf(`Digest username="1001", realm="example.org", nonce=%q, uri=%q, response=%q, algorithm=MD5`, nonce, uri, response))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.verify(creds, digestRequest{method: "REGISTER", uri: uri, tx: "t"}, ha1); !errors.Is(err, errBadCredentials) {
		t.Fatalf("a digest without qop: got %v, want %v", err, errBadCredentials)
	}
}

// TestAnUnknownUserNeverVerifies: the stand-in HA1 for a name that is not a
// user is not the empty password's, which anyone could compute.
func TestAnUnknownUserNeverVerifies(t *testing.T) {
	d := newDigestAuth("example.org", 5*time.Minute)
	creds := answer(t, d.challenge(false), "REGISTER", "sip:example.org", "nobody", "")
	if err := d.verify(creds, digestRequest{method: "REGISTER", uri: "sip:example.org"}, d.unknownHA1("nobody")); !errors.Is(err, errBadCredentials) {
		t.Fatalf("got %v", err)
	}
}
