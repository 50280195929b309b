package sip

import (
	"errors"
	"testing"
)

func TestParseReferTo(t *testing.T) {
	tests := []struct {
		name, in, user string
		replaces       *replaces
		err            bool
	}{
		{"a blind transfer to a user", "<sip:1003@127.0.0.1>", "1003", nil, false},
		{"a blind transfer to a number", `"Out" <sip:+14155550199@127.0.0.1;user=phone>`, "+14155550199", nil, false},
		{"a tel URI", "<tel:+14155550199>", "+14155550199", nil, false},
		{"an attended transfer names the dialog it replaces", "<sip:1003@127.0.0.1?Replaces=abc%40host%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>", "1003", &replaces{CallID: "abc@host", ToTag: "t1", FromTag: "f1"}, false},
		{"Replaces needs both tags", "<sip:1003@h?Replaces=abc%3Bto-tag%3Dt1>", "", nil, true},
		{"a URI without user is refused", "<sip:127.0.0.1>", "", nil, true},
		{"an http URI is refused", "<http://example.org/x>", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseReferTo(tt.in)
			if tt.err {
				if !errors.Is(err, errBadReferTo) {
					t.Fatalf("want errBadReferTo, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.User != tt.user {
				t.Fatalf("user %q, want %q", got.User, tt.user)
			}
			if (got.Replaces == nil) != (tt.replaces == nil) || (got.Replaces != nil && *got.Replaces != *tt.replaces) {
				t.Fatalf("replaces %+v, want %+v", got.Replaces, tt.replaces)
			}
		})
	}
}

func FuzzParseReferTo(f *testing.F) {
	f.Add("<sip:1003@127.0.0.1?Replaces=abc%40host%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>")
	f.Add("<tel:+1>")
	f.Add("sip:a@b;x=y")
	f.Fuzz(func(t *testing.T, v string) {
		got, err := parseReferTo(v)
		if err == nil && (got.User == "" || (got.Replaces != nil && (got.Replaces.CallID == "" || got.Replaces.ToTag == ""))) {
			t.Fatalf("%q parsed into %+v", v, got)
		}
	})
}
