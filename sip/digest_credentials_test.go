package sip

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/icholy/digest"
)

// The switch's credentials parser reads every header as the digest
// package's does: the same credentials, or an error for the same headers.
func FuzzDigestCredentialsParsers(f *testing.F) {
	for _, h := range credentialHeaders {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		compareCredentialParsers(t, header)
	})
}

var credentialHeaders = []string{
	`Digest username="1001", realm="example.org", nonce="MTcz.abc", uri="sip:+14155550199@127.0.0.1:5060", response="0123456789abcdef0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, cnonce="x1"`,
	`digest username="a",realm="r" ,  nonce="n",uri="u",response="r",qop=auth,nc=1,cnonce="c",opaque="o",userhash=TRUE`,
	`Digest username="a\"b\\c", realm="ré\xffalm"`,
	`Digest username="unterminated`,
	`Digest username="a" realm="b"`,
	`Digest =x, k=`,
	`Digest nc=zz`,
	`Digest nc=`,
	`Digest `,
	`Digest`,
	`Basic YWxhZGRpbjpvcGVuc2VzYW1l`,
	`Digest username="a",`,
	`Digest username = "a" , uri = sip`,
	"Digest username=\"a\tb\"\t",
	`Digest username="\`,
}

func TestDigestCredentialsParsersAgree(t *testing.T) {
	for _, h := range credentialHeaders {
		compareCredentialParsers(t, h)
	}
}

func compareCredentialParsers(t *testing.T, header string) {
	t.Helper()
	want, wantErr := digest.ParseCredentials(header)
	got, err := parseDigestCredentials(header)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, the digest package's %v", header, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: parsed %+v, the digest package %+v", header, got, want)
	}
}

func BenchmarkParseDigestCredentials(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseDigestCredentials(credentialHeaders[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// The switch writes its challenge as the digest package does, for any
// realm.
func TestChallengeIsTheDigestPackages(t *testing.T) {
	for _, realm := range []string{"127.0.0.1", "example.org", `odd "realm" \ é`, "\x00\xff"} {
		d := newDigestAuth(realm, time.Minute)
		for _, stale := range []bool{false, true} {
			got := d.challenge(stale)
			nonce := strings.SplitN(got, `nonce="`, 2)[1] // base64: no quote inside
			nonce = nonce[:strings.IndexByte(nonce, '"')]
			want := (&digest.Challenge{Realm: realm, Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}).String()
			if got != want {
				t.Errorf("realm %q stale %v: challenge %q, the digest package %q", realm, stale, got, want)
			}
		}
	}
}
