package billing

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPostingEncodingMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		p    Posting
	}{
		{"a call posting", Posting{ID: "call:abc", Account: "acme", Kind: PostCall, Amount: dec("-0.35"), Time: t0, Ref: "abc", User: "1001", Seq: 7, Balance: dec("9.65")}},
		{"a posting with meta and odd characters", Posting{ID: "topup:\"<é>\\\n", Account: "a&b", Kind: PostTopUp, Amount: dec("10"), Time: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Note: "note\x00", Meta: map[string]string{"b": "2", "a": "1"}, Seq: 1, Balance: dec("10")}},
		{"an empty posting", Posting{}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" encodes like encoding/json", func(t *testing.T) {
			want, err := json.Marshal(&tt.p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.p.appendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func FuzzPostingEncoding(f *testing.F) {
	f.Add("call:x", "acme", "note", "-1.25", int64(1700000000))
	f.Fuzz(func(t *testing.T, id, account, note, amount string, unix int64) {
		a, err := parseMoney(amount)
		if err != nil {
			return
		}
		p := Posting{ID: id, Account: account, Note: note, Kind: PostCall, Amount: a.Neg(), Time: time.Unix(unix%1e10, 0).UTC(), Balance: a}
		got, err := p.appendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(&p)
		if string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}
