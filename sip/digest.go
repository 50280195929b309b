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
	"hash"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/icholy/digest"
)

// Digest auth errors; each maps to a distinct response.
var (
	errNoCredentials  = errors.New("no credentials")
	errStaleNonce     = errors.New("stale nonce")
	errBadCredentials = errors.New("wrong credentials")
	// The response is right but was computed for another request: a
	// captured header replayed. Neither says anything about the password.
	errWrongURI    = errors.New("digest uri does not match the Request-URI")
	errNonceReused = errors.New("nonce count not above the last one used")
)

// digestAuth verifies RFC 2617 MD5 digests with qop=auth against per-user
// HA1 values, so plaintext passwords need not stay in memory. Nonces are
// stateless (a timestamp and a serial sealed with an HMAC): issuing a
// challenge stores nothing, which keeps REGISTER storms and scanners cheap.
// Only a nonce that has authenticated a request is remembered, with the
// highest nonce count used, so a captured header cannot be replayed.
type digestAuth struct {
	realm  string
	secret []byte
	ttl    time.Duration
	now    func() time.Time
	serial atomic.Uint64 // makes every nonce unique, even within one clock tick
	counts *nonceCounts
	txSeed maphash.Seed
	macs   sync.Pool // hash.Hash: HMAC-SHA256 keyed with secret
	// unknownPassword stands in for the password of a name that is not a
	// user, so a response for it costs as much as any and never verifies.
	unknownPassword string
}

// digestRequest is what a digest response is bound to besides the nonce.
type digestRequest struct {
	method string
	uri    string // the Request-URI
	// tx names the transaction (Via branch and sent-by, Call-ID, CSeq,
	// source address): a retransmission of the same request may use the
	// same nonce count again, nothing else may.
	tx string
}

func newDigestAuth(realm string, ttl time.Duration) *digestAuth {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		panic(fmt.Sprintf("digest secret: %v", err))
	}
	return &digestAuth{realm: realm, secret: secret, ttl: ttl, now: time.Now,
		counts: newNonceCounts(nonceCountsSize), txSeed: maphash.MakeSeed(),
		unknownPassword: rand.Text()}
}

// unknownHA1 is the HA1 to verify against when username is not a user: a
// password nobody knows, so that such credentials neither verify nor take
// room in the nonce table.
func (d *digestAuth) unknownHA1(username string) string {
	return HA1(username, d.realm, d.unknownPassword)
}

// HA1 is MD5(username:realm:password), hex.
func HA1(username, realm, password string) string {
	sum := md5.Sum([]byte(username + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}

// A nonce is issued time (Unix ns), serial, then 16 bytes of HMAC over both.
const nonceLen = 8 + 8 + 16

func (d *digestAuth) nonce() string {
	var buf [nonceLen]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(d.now().UnixNano()))
	binary.BigEndian.PutUint64(buf[8:16], d.serial.Add(1))
	mac := d.nonceMAC(buf[:16])
	copy(buf[16:], mac[:])
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

// nonceMAC is the first 16 bytes of the HMAC of a nonce's issued time and
// serial. The HMAC states are pooled: a new one costs four allocations,
// and every INVITE and REGISTER issues or checks a nonce.
func (d *digestAuth) nonceMAC(data []byte) (first16 [16]byte) {
	mac, _ := d.macs.Get().(hash.Hash)
	if mac == nil {
		mac = hmac.New(sha256.New, d.secret)
	}
	mac.Reset()
	mac.Write(data)
	var sum [sha256.Size]byte
	copy(first16[:], mac.Sum(sum[:0]))
	d.macs.Put(mac)
	return first16
}

// issuedNonce is what a nonce of ours says.
type issuedNonce struct {
	serial uint64
	issued time.Time
}

// checkNonce reports whether the nonce is ours, what it says, and whether
// it has expired.
func (d *digestAuth) checkNonce(n string) (in issuedNonce, ours, fresh bool) {
	raw, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(raw) != nonceLen {
		return in, false, false
	}
	if mac := d.nonceMAC(raw[:16]); !hmac.Equal(mac[:], raw[16:]) {
		return in, false, false
	}
	in.issued = time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8])))
	in.serial = binary.BigEndian.Uint64(raw[8:16])
	return in, true, d.now().Sub(in.issued) <= d.ttl
}

// challenge is the WWW-Authenticate / Proxy-Authenticate value: what
// digest.Challenge{Realm, Nonce, Algorithm: "MD5", QOP: auth, Stale}.String()
// writes (TestChallengeIsTheDigestPackages), built without its parameter
// list, since every call's first INVITE gets one.
func (d *digestAuth) challenge(stale bool) string {
	b := make([]byte, 0, 128)
	b = strconv.AppendQuote(append(b, "Digest realm="...), d.realm)
	b = strconv.AppendQuote(append(b, ", nonce="...), d.nonce())
	if stale {
		b = append(b, ", stale=true"...)
	}
	return string(append(b, `, algorithm=MD5, qop="auth"`...))
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

// verify checks credentials for r against ha1. It returns errStaleNonce
// when only the nonce's age is wrong, so the phone can retry without asking
// its user again; errWrongURI or errNonceReused when the response is right
// but belongs to another request (a replay); errBadCredentials otherwise.
func (d *digestAuth) verify(c *digest.Credentials, r digestRequest, ha1 string) error {
	if !strings.EqualFold(c.Realm, d.realm) {
		return fmt.Errorf("realm %q: %w", c.Realm, errBadCredentials)
	}
	if c.Algorithm != "" && !strings.EqualFold(c.Algorithm, "MD5") {
		return fmt.Errorf("algorithm %q: %w", c.Algorithm, errBadCredentials)
	}
	// Without qop (RFC 2069) there is no nonce count, so nothing would
	// tell a replay from the phone; we only ever offer qop=auth.
	if !strings.EqualFold(c.QOP, "auth") {
		return fmt.Errorf("qop %q: %w", c.QOP, errBadCredentials)
	}
	if c.Nc < 1 {
		return fmt.Errorf("nc %d: %w", c.Nc, errBadCredentials)
	}
	in, ours, fresh := d.checkNonce(c.Nonce)
	if !ours {
		// A nonce we never issued (e.g. from before a restart) is stale, not
		// a wrong password: the phone retries with a fresh one.
		return errStaleNonce
	}
	ha2 := md5hex(r.method + ":" + c.URI)
	want := md5hex(ha1 + ":" + c.Nonce + ":" + fmt.Sprintf("%08x", c.Nc) + ":" + c.Cnonce + ":auth:" + ha2)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.Response))) != 1 {
		return errBadCredentials
	}
	if !sameSIPURI(c.URI, r.uri) {
		return fmt.Errorf("uri %q for %q: %w", c.URI, r.uri, errWrongURI)
	}
	if !fresh {
		return errStaleNonce
	}
	// Last, once everything else holds, so only requests that carry a
	// right response take room in the table.
	return d.counts.use(in, uint32(c.Nc), maphash.String(d.txSeed, r.tx), d.now, d.ttl)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
