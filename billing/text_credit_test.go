package billing

import (
	"errors"
	"strings"
	"testing"
)

func TestAuthorizeText(t *testing.T) {
	long := strings.Repeat("a", 200) // 2 GSM-7 segments: 0.0158 → 0.02
	tests := []struct {
		name    string
		balance string
		msg     TextRecord
		want    string // charge, or "" for a credit refusal
	}{
		{"a balance that pays the segments lets the text go", "0.02", TextRecord{Kind: KindSMSOut, From: orgNumber, To: usLocal2, Body: long}, "0.02"},
		{"a balance short of the segments refuses it", "0.01", TextRecord{Kind: KindSMSOut, From: orgNumber, To: usLocal2, Body: long}, ""},
		{"an MMS needs its per-message price", "0.01", TextRecord{Kind: KindMMSOut, From: orgNumber, To: usLocal2, Body: "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestMeter(t, nil, testConfig(tt.balance))
			c, err := m.Texts().Authorize(tt.msg)
			if tt.want == "" {
				var ce *CreditError
				if !errors.As(err, &ce) || !errors.Is(err, ErrInsufficientCredit) {
					t.Fatalf("error = %v, want a credit refusal", err)
				}
				assertBalance(t, m, tt.balance) // nothing charged
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.Amount.Equal(dec(tt.want)) {
				t.Errorf("charge %s, want %s", c.Amount, tt.want)
			}
			assertBalance(t, m, tt.balance)
		})
	}
	t.Run("a text the rules refuse is refused before credit", func(t *testing.T) {
		m := newTestMeter(t, nil, testConfig("10"))
		if _, err := m.Texts().Authorize(TextRecord{Kind: KindSMSOut, From: orgNumber, To: gbMobile, Body: "hi"}); !errors.Is(err, ErrTextNotAllowed) {
			t.Fatalf("error = %v", err)
		}
	})
}
