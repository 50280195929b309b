package media

import (
	"bytes"
	"reflect"
	"testing"
)

// A body parsed once for both reads what Parse reads, and rewrites to what
// Rewrite writes, with the same errors.
func FuzzParseForRewrite(f *testing.F) {
	addRewriteSeeds(f)
	f.Add(sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "t=0 0", "m=audio 0 RTP/AVP 0", "c=IN IP4 10.0.0.2"), "10.0.0.1", 1000)
	f.Add(phoneOffer, "0.0.0.0", 30000)
	f.Add(phoneOffer, "10.0.0.1", 65535)
	f.Fuzz(func(t *testing.T, body []byte, ip string, port int) {
		want, wantErr := Parse(body)
		p, err := ParseForRewrite(body)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("error %v, Parse's %v", err, wantErr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(p.Description, want) {
			t.Fatalf("described %+v, Parse %+v", p.Description, want)
		}
		wantOut, wantErr := Rewrite(body, ip, port)
		out, err := p.Rewrite(ip, port)
		if (err == nil) != (wantErr == nil) || !bytes.Equal(out, wantOut) {
			t.Fatalf("rewrote %q (%v), Rewrite %q (%v)", out, err, wantOut, wantErr)
		}
		if _, err := p.Rewrite(ip, port); err == nil && wantErr == nil {
			t.Fatal("a second Rewrite of the same parse succeeded")
		}
	})
}
