package sip

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/icholy/digest"
)

// Digest auth errors; each maps to a distinct response.
var (
	errNoCredentials  = errors.New("no credentials")
	errStaleNonce     = errors.New("stale nonce")
	errBadCredentials = errors.New("wrong credentials")
)

// digestAuth verifies RFC 2617 MD5 digests with qop=auth against per-user
// HA1 values, so plaintext passwords need not stay in memory. Nonces are
// stateless (a timestamp sealed with an HMAC): any node can check them and
// none need be stored, which keeps REGISTER storms cheap.
type digestAuth struct {
	realm  string
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

func newDigestAuth(realm string, ttl time.Duration) *digestAuth {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		panic(fmt.Sprintf("digest secret: %v", err))
	}
	return &digestAuth{realm: realm, secret: secret, ttl: ttl, now: time.Now}
}

// HA1 is MD5(username:realm:password), hex.
func HA1(username, realm, password string) string {
	sum := md5.Sum([]byte(username + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}

func (d *digestAuth) nonce() string {
	var buf [8 + 16]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(d.now().Unix()))
	mac := hmac.New(sha256.New, d.secret)
	mac.Write(buf[:8])
	copy(buf[8:], mac.Sum(nil)[:16])
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

// checkNonce reports whether the nonce is ours and whether it has expired.
func (d *digestAuth) checkNonce(n string) (ours, fresh bool) {
	raw, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(raw) != 24 {
		return false, false
	}
	mac := hmac.New(sha256.New, d.secret)
	mac.Write(raw[:8])
	if !hmac.Equal(mac.Sum(nil)[:16], raw[8:]) {
		return false, false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	return true, d.now().Sub(issued) <= d.ttl
}

// challenge is the WWW-Authenticate / Proxy-Authenticate value.
func (d *digestAuth) challenge(stale bool) string {
	c := digest.Challenge{Realm: d.realm, Nonce: d.nonce(), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
	return c.String()
}

// credentials parses an Authorization header value.
func parseCredentials(value string) (*digest.Credentials, error) {
	if value == "" {
		return nil, errNoCredentials
	}
	c, err := digest.ParseCredentials(value)
	if err != nil {
		return nil, fmt.Errorf("parse credentials: %w", err)
	}
	return c, nil
}

// verify checks credentials for method against ha1. It returns
// errStaleNonce when only the nonce's age is wrong, so the phone can retry
// without asking its user again.
func (d *digestAuth) verify(c *digest.Credentials, method, ha1 string) error {
	if !strings.EqualFold(c.Realm, d.realm) {
		return fmt.Errorf("realm %q: %w", c.Realm, errBadCredentials)
	}
	if c.Algorithm != "" && !strings.EqualFold(c.Algorithm, "MD5") {
		return fmt.Errorf("algorithm %q: %w", c.Algorithm, errBadCredentials)
	}
	ours, fresh := d.checkNonce(c.Nonce)
	if !ours {
		// A nonce we never issued (e.g. from before a restart) is stale, not
		// a wrong password: the phone retries with a fresh one.
		return errStaleNonce
	}
	ha2 := md5hex(method + ":" + c.URI)
	var want string
	switch c.QOP {
	case "":
		want = md5hex(ha1 + ":" + c.Nonce + ":" + ha2)
	case "auth":
		want = md5hex(ha1 + ":" + c.Nonce + ":" + fmt.Sprintf("%08x", c.Nc) + ":" + c.Cnonce + ":auth:" + ha2)
	default:
		return fmt.Errorf("qop %q: %w", c.QOP, errBadCredentials)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.Response))) != 1 {
		return errBadCredentials
	}
	if !fresh {
		return errStaleNonce
	}
	return nil
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
