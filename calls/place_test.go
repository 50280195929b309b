package calls

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
)

// brokeMeter refuses every leg's first slice.
type brokeMeter struct{}

func (brokeMeter) Authorize(context.Context, billing.LegRequest) (*billing.Reservation, error) {
	return nil, billing.ErrInsufficientCredit
}
func (brokeMeter) Answered(string, time.Time) {}
func (brokeMeter) Renew(context.Context, string) (time.Duration, error) {
	return 0, billing.ErrInsufficientCredit
}
func (brokeMeter) Release(string) {}

// The engine's legs get a hand-dialled call's checks: the user, the
// outside number's permission for the caller ID's country, the caller ID
// itself, a phone registered for a call to a user, and the credit; a
// refusal is told apart from no credit and from a switch shutting down.
func TestPlaceChecksLikeAHandDialledCall(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        Origination
		broke    bool
		stopping bool
		want     error // nil: passes every check (and stops at the missing media pool)
	}{
		{name: "no such user", o: Origination{User: "7777", To: "+14155559999", CallerID: "+14155550100"}, want: ErrRefused},
		{name: "inbound-only role", o: Origination{User: "1003", To: "+14155559999", CallerID: "+14155550100"}, want: ErrRefused},
		{name: "international without the permission", o: Origination{User: "1002", To: "+442071234567", CallerID: "+14155550101"}, want: ErrRefused},
		{name: "a caller ID neither the organization's nor the user's", o: Origination{User: "1002", To: "+14155559999", CallerID: "+12125550199"}, want: ErrRefused},
		{name: "not a number", o: Origination{User: "1002", To: "nope", CallerID: "+14155550101"}, want: ErrRefused},
		{name: "a user with no phone registered", o: Origination{User: "1002", To: "1001", CallerID: "+14155550101"}, want: ErrNotRegistered},
		{name: "the user's own caller ID", o: Origination{User: "1002", To: "+14155559999", CallerID: "+14155550101"}},
		{name: "an organization number", o: Origination{User: "1002", To: "(415) 555-9999", CallerID: "+14155550100"}},
		{name: "international with the permission", o: Origination{User: "1001", To: "+442071234567", CallerID: "+14155550100"}},
		{name: "no credit", o: Origination{User: "1002", To: "+14155559999", CallerID: "+14155550101"}, broke: true, want: billing.ErrInsufficientCredit},
		{name: "shutting down", o: Origination{User: "1002", To: "+14155559999", CallerID: "+14155550101"}, stopping: true, want: ErrStopping},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := newFakeHost(t, nil)
			if tc.broke {
				host.meter = brokeMeter{}
			}
			host.stopping = tc.stopping
			_, err := HostNetwork{Host: host, Log: host.log}.Place(context.Background(), tc.o)
			want := tc.want
			if want == nil {
				want = errNoAnchor
			}
			if !errors.Is(err, want) {
				t.Fatalf("want %v, got %v", want, err)
			}
			if tc.want != ErrRefused && errors.Is(err, ErrRefused) {
				t.Fatalf("%v is not a refusal", err)
			}
		})
	}
}

// placeRun is an engine placing its legs on a fake host: a media pool
// on 127.0.0.1, alice's phone (1001) registered, and a fake ringer.
type placeRun struct {
	*Engine
	host   *fakeHost
	ringer *fakeHopRinger
	events *stream
}

func newPlaceRun(t *testing.T, script ...ringing) *placeRun {
	t.Helper()
	host := newFakeHost(t, nil)
	host.pool = newTestPool(t)
	host.registered = map[string]bool{"1001": true}
	host.ringer = &fakeHopRinger{script: script}
	e := New(HostNetwork{Host: host, Log: host.log}, host.log)
	return &placeRun{Engine: e, host: host, ringer: host.ringer.(*fakeHopRinger), events: subscribe(t.Context(), e, Filter{})}
}

// answeringParty is a party's dialog whose answer's media goes to a
// socket of the test's, so the engine's media end has somewhere to send.
func answeringParty(t *testing.T, id string) *fakeDialog {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	port := pc.LocalAddr().(*net.UDPAddr).Port
	d := newFakeDialog(id)
	d.sdp = fmt.Appendf(nil, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n", port)
	return d
}

// cdrOf is the CDR the host kept for a leg.
func (r *placeRun) cdrOf(t *testing.T, legID string) billing.CDR {
	t.Helper()
	r.host.cdrs.mu.Lock()
	defer r.host.cdrs.mu.Unlock()
	for _, c := range r.host.cdrs.legs {
		if c.LegID == legID {
			return c
		}
	}
	t.Fatalf("no CDR for leg %s", legID)
	return billing.CDR{}
}

// A leg to a registered phone rings, is answered, and when the phone
// hangs up its end carries the CDR it wrote.
func TestOriginateToARegisteredPhone(t *testing.T) {
	alice := answeringParty(t, "alice")
	r := newPlaceRun(t, ringing{progress: []int{100, 180, 180}, answer: alice, party: "1001"})
	id, err := r.Originate(t.Context(), Origination{User: "1002", To: "1001", CallerID: "+14155550101", Reason: billing.ReasonDialer,
		Tags: map[string]string{"campaign_id": "c1", "lead_id": "l1", "attempt_id": "a1"}})
	if err != nil {
		t.Fatal(err)
	}
	next(t, r.events, id, EventRinging)
	next(t, r.events, id, EventAnswered)
	alice.await(t, "answer") // the switch's ACK of her 2xx
	alice.hangUp()
	ended := next(t, r.events, id, EventLegEnded)
	if ended.CDRLegID != string(id) || ended.Disposition != string(billing.Answered) || ended.Code != StatusOK {
		t.Fatalf("leg ended %+v", ended)
	}
	cdr := r.cdrOf(t, ended.CDRLegID)
	if cdr.From != "1002" || cdr.To != "1001" || cdr.User != "1002" || cdr.Endpoint != billing.EndpointPhone ||
		cdr.CampaignID != "c1" || cdr.LeadID != "l1" || cdr.AttemptID != "a1" || cdr.Reason != billing.ReasonDialer || cdr.AnsweredAt == nil {
		t.Errorf("CDR %+v", cdr)
	}
	if got := alice.done(); len(got) != 1 || got[0] != "answer" {
		t.Errorf("alice's leg: %v, want only the ACK (she hung up)", got)
	}
}

// A leg to an outside number goes through the trunk; the engine hanging
// it up once answered sends the BYE.
func TestOriginateThroughTheTrunk(t *testing.T) {
	carrier := answeringParty(t, "carrier")
	r := newPlaceRun(t, ringing{progress: []int{183}, answer: carrier})
	id, err := r.Originate(t.Context(), Origination{User: "1002", To: "+14155559999", CallerID: "+14155550101"})
	if err != nil {
		t.Fatal(err)
	}
	next(t, r.events, id, EventAnswered)
	if err := r.Hangup(t.Context(), id, "done"); err != nil {
		t.Fatal(err)
	}
	carrier.await(t, "bye")
	ended := next(t, r.events, id, EventLegEnded)
	cdr := r.cdrOf(t, ended.CDRLegID)
	if cdr.Trunk != "carrier" || cdr.Endpoint != billing.EndpointTrunk || cdr.To != "+14155559999" || cdr.From != "+14155550101" ||
		cdr.Disposition != billing.Answered {
		t.Errorf("CDR %+v", cdr)
	}
	if hops := r.ringer.hops(); len(hops) != 1 || hops[0] != "+14155559999" {
		t.Errorf("rang %v, want the number through the trunk", hops)
	}
}

// The engine hanging a leg up while it rings cancels it.
func TestOriginateHungUpWhileRinging(t *testing.T) {
	r := newPlaceRun(t, ringing{progress: []int{180}, untilHangUp: true})
	id, err := r.Originate(t.Context(), Origination{User: "1002", To: "1001", CallerID: "+14155550101"})
	if err != nil {
		t.Fatal(err)
	}
	next(t, r.events, id, EventRinging)
	if err := r.Hangup(t.Context(), id, "abandoned"); err != nil {
		t.Fatal(err)
	}
	ended := next(t, r.events, id, EventLegEnded)
	if ended.Disposition != string(billing.Canceled) || ended.Code != StatusRequestTerminated {
		t.Fatalf("leg ended %+v, want canceled 487", ended)
	}
	if cdr := r.cdrOf(t, ended.CDRLegID); cdr.AnsweredAt != nil || cdr.Disposition != billing.Canceled {
		t.Errorf("CDR %+v", cdr)
	}
}

// The engine tells a refusal from no credit, and places nothing for
// either.
func TestOriginateRefusedOrWithoutCredit(t *testing.T) {
	r := newPlaceRun(t)
	_, err := r.Originate(t.Context(), Origination{User: "1002", To: "+442071234567", CallerID: "+14155550101"})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("international for bob: %v, want a refusal", err)
	}
	r.host.meter = brokeMeter{}
	_, err = r.Originate(t.Context(), Origination{User: "1002", To: "+14155559999", CallerID: "+14155550101"})
	if !errors.Is(err, billing.ErrInsufficientCredit) || errors.Is(err, ErrRefused) {
		t.Fatalf("no credit: %v", err)
	}
	if hops := r.ringer.hops(); len(hops) != 0 {
		t.Errorf("rang %v", hops)
	}
}

// An engine leg takes a place in the switch's admission control like a
// phone's INVITE: refused with ErrOverloaded when none is free (nothing
// rung), and its place freed once the callee rings or the placement
// fails, so a dialer cannot hold the switch's setups past its limit.
func TestOriginateTakesASetupPlaceUntilTheCalleeRings(t *testing.T) {
	r := newPlaceRun(t, ringing{progress: []int{180}, untilHangUp: true})
	r.host.overloaded = true
	if _, err := r.Originate(t.Context(), Origination{User: "1002", To: "1001", CallerID: "+14155550101"}); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("every place taken: %v, want ErrOverloaded", err)
	}
	if hops := r.ringer.hops(); len(hops) != 0 {
		t.Fatalf("rang %v while overloaded", hops)
	}

	r.host.overloaded = false
	id, err := r.Originate(t.Context(), Origination{User: "1002", To: "1001", CallerID: "+14155550101"})
	if err != nil {
		t.Fatal(err)
	}
	next(t, r.events, id, EventRinging)
	if n := r.host.settingUp.Load(); n != 0 {
		t.Errorf("%d engine legs still in setup once the callee rings, want 0", n)
	}
	if err := r.Hangup(t.Context(), id, "done"); err != nil {
		t.Fatal(err)
	}
	next(t, r.events, id, EventLegEnded)

	r.host.meter = brokeMeter{}
	if _, err := r.Originate(t.Context(), Origination{User: "1002", To: "+14155559999", CallerID: "+14155550101"}); !errors.Is(err, billing.ErrInsufficientCredit) {
		t.Fatalf("no credit: %v", err)
	}
	if n := r.host.settingUp.Load(); n != 0 {
		t.Errorf("%d engine legs still in setup after a placement failed, want 0", n)
	}
}
