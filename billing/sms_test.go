package billing

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	const (
		usMobile = "+12015550123"
		beMobile = "+32470123456"
		dkLocal  = "+4532123456"
		frMobile = "+33612345678"
		ilLocal  = "+97225012345"
		zaMobile = "+27821234567"
		deLocal  = "+4930123456"
	)
	tests := []struct {
		name     string
		kind     string
		from, to string
		wantErr  string
	}{
		{"an SMS within the US is allowed", "sms-out", orgNumber, usMobile, ""},
		{"an SMS from the US to Canada is allowed", "sms-out", orgNumber, caLocal, ""},
		{"an SMS from Puerto Rico to the US is allowed", "sms-in", prLocal, orgNumber, ""},
		{"an SMS within the UK is allowed", "sms-out", gbLocal, gbMobile, ""},
		{"an SMS within Australia is allowed", "sms-out", auLocal, auMobile, ""},
		{"an SMS within Belgium is allowed", "sms-out", "+3222345678", beMobile, ""},
		{"an SMS within Denmark is allowed", "sms-out", dkLocal, "+4520123456", ""},
		{"an SMS within France is allowed", "sms-in", frMobile, frLocal, ""},
		{"an SMS within Israel is allowed", "sms-out", ilLocal, ilLocal, ""},
		{"an SMS within South Africa is allowed", "sms-out", "+27211234567", zaMobile, ""},
		{"an SMS from the US to the UK is refused", "sms-out", orgNumber, gbMobile, "texts between US and GB numbers are not supported"},
		{"an SMS from France to Belgium is refused", "sms-out", frMobile, beMobile, "between FR and BE"},
		{"an SMS with a German number is refused", "sms-out", deLocal, deLocal, "SMS with DE numbers"},
		{"an SMS to China is refused", "sms-out", orgNumber, cnMobile, "SMS with CN numbers"},
		{"an MMS within the US is allowed", "mms-out", orgNumber, usMobile, ""},
		{"an MMS from Canada to the US is allowed", "mms-in", caLocal, orgNumber, ""},
		{"an MMS within the UK is refused", "mms-out", gbLocal, gbMobile, "MMS with GB numbers"},
		{"an MMS to Puerto Rico is refused", "mms-out", orgNumber, prLocal, "MMS with PR numbers"},
		{"a text to an extension is refused", "sms-out", orgNumber, "1002", "not an E.164 number"},
		{"an unknown kind is refused", "fax", orgNumber, usMobile, "not sms-out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckText(tt.kind, tt.from, tt.to)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if tt.kind != "fax" && !errors.Is(err, ErrTextNotAllowed) {
				t.Errorf("error %v is not ErrTextNotAllowed", err)
			}
		})
	}
}

func TestTextPricing(t *testing.T) {
	long := strings.Repeat("a", 200) // 2 GSM segments
	emoji := strings.Repeat("😀", 36) // 2 UCS-2 segments
	tests := []struct {
		name   string
		msg    TextRecord
		units  int64
		charge string
	}{
		{"a one-segment US SMS costs one segment rounded up to the cent", TextRecord{Kind: KindSMSOut, From: orgNumber, To: usLocal2, Body: "hi"}, 1, "0.01"},
		{"a two-segment US SMS costs two segments", TextRecord{Kind: KindSMSOut, From: orgNumber, To: usLocal2, Body: long}, 2, "0.02"},
		{"emoji make a shorter text two UCS-2 segments", TextRecord{Kind: KindSMSOut, From: orgNumber, To: usLocal2, Body: emoji}, 2, "0.02"},
		{"the carrier's segment count wins over the body's", TextRecord{Kind: KindSMSOut, From: orgNumber, To: usLocal2, Body: "hi", Segments: 3}, 3, "0.03"},
		{"an incoming SMS is priced by the org number's country", TextRecord{Kind: KindSMSIn, From: usLocal2, To: orgNumber, Body: "hi"}, 1, "0.01"},
		{"a UK SMS uses the UK rate", TextRecord{Kind: KindSMSOut, From: gbLocal, To: gbMobile, Body: long}, 2, "0.11"},
		{"an empty SMS still costs one segment", TextRecord{Kind: KindSMSOut, From: orgNumber, To: usLocal2}, 1, "0.01"},
		{"an outgoing MMS costs one message", TextRecord{Kind: KindMMSOut, From: orgNumber, To: usLocal2, Body: long}, 1, "0.02"},
		{"an incoming MMS costs one message", TextRecord{Kind: KindMMSIn, From: caLocal, To: orgNumber}, 1, "0.01"},
	}
	m := newTestMeter(t, nil, testConfig("10"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := m.Texts().Quote(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if c.Units != tt.units || !c.Amount.Equal(dec(tt.charge)) || c.Currency != "USD" {
				t.Errorf("charge %+v, want %d units %s USD", c, tt.units, tt.charge)
			}
		})
	}
}

func TestPostText(t *testing.T) {
	ctx := context.Background()
	m := newTestMeter(t, nil, testConfig("10"))
	msg := TextRecord{MessageID: "SM1", Kind: KindSMSOut, From: orgNumber, To: usLocal2, Body: strings.Repeat("a", 200), User: "1001"}
	t.Run("a text is charged once however often it is posted", func(t *testing.T) {
		for range 3 {
			c, err := m.Texts().Post(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Amount.Equal(dec("0.02")) {
				t.Errorf("charge %s", c.Amount)
			}
		}
		assertBalance(t, m, "9.98")
	})
	t.Run("a text reposted with another segment count is a conflict", func(t *testing.T) {
		again := msg
		again.Segments = 5
		if _, err := m.Texts().Post(ctx, again); !errors.Is(err, ErrPostingConflict) {
			t.Fatalf("error = %v", err)
		}
		assertBalance(t, m, "9.98")
	})
	t.Run("a text that is not allowed is not charged", func(t *testing.T) {
		bad := TextRecord{MessageID: "SM2", Kind: KindSMSOut, From: orgNumber, To: gbMobile, Body: "hi"}
		if _, err := m.Texts().Post(ctx, bad); !errors.Is(err, ErrTextNotAllowed) {
			t.Fatalf("error = %v", err)
		}
		assertBalance(t, m, "9.98")
	})
	t.Run("a text without a message id is refused", func(t *testing.T) {
		if _, err := m.Texts().Post(ctx, TextRecord{Kind: KindSMSOut, From: orgNumber, To: usLocal2}); err == nil {
			t.Fatal("no error")
		}
	})
}
