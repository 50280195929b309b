package calls

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

func TestCallLegRecordsFactsAndEnds(t *testing.T) {
	var l CallLeg
	l.initCallLeg("call-1", billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointTrunk, Peer: billing.EndpointPhone})
	if l.CDR.CallID != "call-1" || l.CDR.LegID == "" || l.CDR.Reason != billing.ReasonDirect {
		t.Fatalf("CDR = %+v", l.CDR)
	}
	if want := billing.Classify(billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointTrunk, Peer: billing.EndpointPhone}); l.CDR.BillingClass != want {
		t.Errorf("class %q, want %q", l.CDR.BillingClass, want)
	}
	l.SetAnswered(answeredAt)
	// A refused renewal: the leg is not billed past its grant.
	l.Credit = LegCredit{granted: time.Minute, refused: true}
	l.EndAt(answeredAt.Add(90*time.Second), billing.CreditExhausted, 200)
	if l.CDR.BillableSecs != 60 || l.CDR.Disposition != billing.CreditExhausted || l.CDR.SIPCode != 200 {
		t.Errorf("ended %+v", l.CDR)
	}
	var other CallLeg
	other.initCallLeg("call-1", billing.LegFacts{Direction: billing.Inbound, Endpoint: billing.EndpointPhone})
	if other.CDR.LegID == l.CDR.LegID {
		t.Error("two legs share an id")
	}
}

func TestCallMediaAnchorsAndCloses(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	pool := newTestPool(t)
	offer := []byte("v=0\r\no=- 1 2 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
	answer := []byte("v=0\r\no=- 1 2 IN IP4 203.0.113.9\r\ns=-\r\nc=IN IP4 203.0.113.9\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

	t.Run("without a pool the offer passes through", func(t *testing.T) {
		var m CallMedia
		if err := m.AnchorOffer(nil, "", offer, "198.51.100.7:5060"); err != nil || string(m.Offer) != string(offer) || m.Relay != nil {
			t.Fatalf("offer %q, relay %v, err %v", m.Offer, m.Relay, err)
		}
		if got, err := m.AnchorAnswer(nil, "", offer, answer, "203.0.113.9:5060"); err != nil || string(got) != string(answer) {
			t.Fatalf("answer %q, err %v", got, err)
		}
		if a, b := m.closeRelay(quiet); a != nil || b != nil {
			t.Error("closed a relay it never had")
		}
		if m.closeRecording(quiet) != nil {
			t.Error("closed a recording it never had")
		}
	})
	t.Run("with a pool both sides get the switch's ports", func(t *testing.T) {
		var m CallMedia
		if err := m.AnchorOffer(pool, "127.0.0.1", offer, "198.51.100.7:5060"); err != nil {
			t.Fatal(err)
		}
		d, err := media.Parse(m.Offer)
		if err != nil || d.Remote.String() != fmt.Sprintf("127.0.0.1:%d", m.Relay.B().Port()) {
			t.Fatalf("the callee is offered %v (err %v), want the B side %d", d.Remote, err, m.Relay.B().Port())
		}
		got, err := m.AnchorAnswer(pool, "127.0.0.1", offer, answer, "203.0.113.9:5060")
		if err != nil {
			t.Fatal(err)
		}
		if d, err := media.Parse(got); err != nil || d.Remote.Port() != uint16(m.Relay.A().Port()) {
			t.Fatalf("the caller gets %q (err %v), want the A side", got, err)
		}
		a, b := m.closeRelay(quiet)
		if a == nil || b == nil || m.Relay != nil {
			t.Fatal("the relay's legs are not returned")
		}
	})
	t.Run("an answer without a common codec is a 488", func(t *testing.T) {
		var m CallMedia
		if err := m.AnchorOffer(pool, "127.0.0.1", offer, "198.51.100.7:5060"); err != nil {
			t.Fatal(err)
		}
		defer m.closeRelay(quiet)
		g729 := []byte("v=0\r\no=- 1 2 IN IP4 203.0.113.9\r\ns=-\r\nc=IN IP4 203.0.113.9\r\nt=0 0\r\nm=audio 5000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n")
		_, err := m.AnchorAnswer(pool, "127.0.0.1", offer, g729, "203.0.113.9:5060")
		var r *Refusal
		if !errors.As(err, &r) || r.Code != 488 {
			t.Fatalf("got %v, want a 488", err)
		}
	})
}

// A leg the engine placed has no dialog while it rings: its Stop is
// what ends it; no leg has no end to wait for.
func TestCallLegDoneBeforeItHasADialog(t *testing.T) {
	var none *CallLeg
	if none.Done() != nil {
		t.Fatal("no leg has a done channel")
	}
	l := &CallLeg{Stop: make(chan struct{})}
	if l.Done() == nil {
		t.Fatal("a stoppable leg has no done channel")
	}
	close(l.Stop)
	select {
	case <-l.Done():
	default:
		t.Fatal("stopping the leg did not end it")
	}
}
