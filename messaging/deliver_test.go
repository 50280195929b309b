package messaging

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialtone/dialtone/sip"
	"github.com/prometheus/client_golang/prometheus"
)

func TestTextsBetweenUsers(t *testing.T) {
	e := newEnv(t, "1003")
	ctx := context.Background()
	phone := func(user, to, id string) sip.TextResult {
		return e.svc.FromPhone(ctx, sip.PhoneText{User: user, To: to, FromUser: user, Body: "hi " + to, ID: id})
	}
	t.Run("by extension, by name and to a user's number", func(t *testing.T) {
		e.t = t
		for i, to := range []string{"1003", "carol", orgGB} {
			if r := phone("1001", to, fmt.Sprint("c", i)); r.Code != 202 {
				t.Fatalf("to %s: %+v", to, r)
			}
		}
		e.phones.waitDelivered(t, 3)
		if got := e.phones.texts("1003"); len(got) != 3 || got[0].From != "1001" {
			t.Errorf("carol got %+v", got)
		}
		if len(e.twilio.requests()) != 0 || len(e.textPostings()) != 0 {
			t.Error("a text between users went to the carrier or was charged")
		}
	})
	t.Run("a resent MESSAGE (same Call-ID and CSeq) is stored once", func(t *testing.T) {
		e.t = t
		for range 2 {
			if r := phone("1001", "1004", "same"); r.Code != 202 {
				t.Fatal(r)
			}
		}
		if p, _ := e.store.Pending("1004"); len(p) != 1 {
			t.Errorf("%d texts waiting, want 1", len(p))
		}
	})
	t.Run("a user without sms may not text", func(t *testing.T) {
		if r := phone("1002", "1003", "x"); r.Code != 403 || r.Reason == "" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("a refused outside text gets the rule's code and reason", func(t *testing.T) {
		if r := phone("1001", gbPeer, "y"); r.Code != 488 || r.Reason == "" {
			t.Errorf("%+v", r)
		}
	})
}

func TestOfflineUserGetsTextsInOrderWhenAPhoneRegisters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 3 {
		if r := e.svc.FromPhone(ctx, sip.PhoneText{User: "1001", To: "1004", Body: fmt.Sprint("text ", i), ID: fmt.Sprint(i)}); r.Code != 202 {
			t.Fatal(r)
		}
	}
	if w := e.signedWebhook(InboundPath, inboundForm("SMoff", usPeer, orgGroup, "text 3")); w.Code != 200 {
		t.Fatal(w.Code)
	}
	if p, _ := e.store.Pending("1004"); len(p) != 4 {
		t.Fatalf("%d waiting", len(p))
	}
	// A restart keeps them: a new service on the same store delivers.
	e.start(nil)
	e.phones.register("1004")
	e.svc.PhoneRegistered("1004")
	got := e.phones.texts("1004")
	if len(got) != 4 {
		t.Fatalf("delivered %d", len(got))
	}
	for i, g := range got {
		if g.Body != fmt.Sprint("text ", i) {
			t.Errorf("text %d is %q: out of order", i, g.Body)
		}
	}
	if p, _ := e.store.Pending("1004"); len(p) != 0 {
		t.Errorf("%d still waiting", len(p))
	}
	e.svc.PhoneRegistered("1004") // registering again sends nothing twice
	if n := len(e.phones.texts("1004")); n != 4 {
		t.Errorf("delivered %d after a second REGISTER", n)
	}
}

func TestRestartAfterAcceptancePostsTheChargeOnce(t *testing.T) {
	e := newEnv(t)
	crashed := make(chan *Message, 1)
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	// The first process "dies" after storing Twilio's acceptance: its
	// send never returns, so it never posts.
	e.start(func(m *Message) { crashed <- m; <-block })
	m, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	var accepted *Message
	select {
	case accepted = <-crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("not accepted")
	}
	if len(e.textPostings()) != 0 {
		t.Fatal("posted before the crash point")
	}
	e.start(nil) // the restart
	got := e.waitFor(m.ID, charged)
	if got.SID != accepted.SID || len(e.twilio.requests()) != 1 {
		t.Fatalf("resent after restart: %+v, %d requests", got, len(e.twilio.requests()))
	}
	e.start(nil) // and another: nothing more
	if ps := e.textPostings(); len(ps) != 1 || ps[0].ID != "text:"+accepted.SID {
		t.Fatalf("postings %+v", ps)
	}
}

func TestQueuedTextsSurviveARestart(t *testing.T) {
	e := newEnv(t)
	e.setRate(0.001) // the first text goes, the second waits 1000 s
	ids := []string{}
	for i := range 2 {
		m, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: fmt.Sprint("t", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	e.waitFor(ids[0], charged)
	if q, _ := e.store.Queued(); len(q) != 1 || q[0].ID != ids[1] {
		t.Fatalf("queued %v", q)
	}
	e.setRate(1000)
	e.start(nil)
	e.waitFor(ids[1], charged)
	if n := len(e.twilio.requests()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

func TestOutboxIsVisibleInMetrics(t *testing.T) {
	e := newEnv(t)
	e.setRate(0.001) // one text goes, the rest wait
	for i := range 3 {
		if _, _, err := e.svc.Send(context.Background(), SendRequest{User: "1001", To: usPeer, Body: fmt.Sprint("t", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range e.svc.Collectors() {
		if oc, ok := c.(outboxCollector); ok {
			e.waitQueued(2)
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(oc)
			families, err := reg.Gather()
			if err != nil || len(families) != 1 || len(families[0].Metric) != 1 {
				t.Fatalf("gathered %v %v", families, err)
			}
			m := families[0].Metric[0]
			if families[0].GetName() != "dialtone_messages_outbox" || m.GetGauge().GetValue() != 2 || m.Label[0].GetValue() != orgSMS {
				t.Errorf("metric %v", families[0])
			}
			return
		}
	}
	t.Fatal("no outbox collector")
}

// waitQueued waits until n texts are in the outbox.
func (e *env) waitQueued(n int) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if q, _ := e.store.Queued(); len(q) == n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("outbox never held %d", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSendingIntervalFollowsTheRate(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		rate float64
		want time.Duration
	}{{1, time.Second}, {10, 100 * time.Millisecond}, {0.5, 2 * time.Second}} {
		e.setRate(tt.rate)
		if got := e.svc.outbox.interval(); got != tt.want {
			t.Errorf("rate %v: interval %v, want %v", tt.rate, got, tt.want)
		}
	}
}
