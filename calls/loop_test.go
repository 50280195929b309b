package calls

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// The call loop runs on Dialog and a network that rings hops, so
// these tests drive it with fake legs and a fake network: no SIP, no
// sockets. The fakes record what the loop did to them.

// fakeDialog is a leg whose party does what the test says.
type fakeDialog struct {
	id     string
	sdp    []byte
	ctx    context.Context
	hangUp context.CancelFunc // the party hangs up (or the switch's BYE went through)

	mu      sync.Mutex
	did     []string
	changed chan struct{} // closed and replaced at each thing done
}

func newFakeDialog(id string) *fakeDialog {
	ctx, cancel := context.WithCancel(context.Background())
	return &fakeDialog{id: id, ctx: ctx, hangUp: cancel, changed: make(chan struct{})}
}

func (d *fakeDialog) record(what string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.did = append(d.did, what)
	close(d.changed)
	d.changed = make(chan struct{})
}

// done is what was done to the leg so far.
func (d *fakeDialog) done() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.did)
}

// await waits until what was done to the leg includes what.
func (d *fakeDialog) await(t *testing.T, what string) {
	t.Helper()
	deadline := time.After(10 * time.Second) // a hang, not a measure
	for {
		d.mu.Lock()
		found, changed := slices.Contains(d.did, what), d.changed
		d.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("leg %s: no %q; done: %v", d.id, what, d.done())
		}
	}
}

func (d *fakeDialog) DialogID() string         { return d.id }
func (d *fakeDialog) SDP() []byte              { return d.sdp }
func (d *fakeDialog) Source() string           { return "192.0.2.1:5060" }
func (d *fakeDialog) Context() context.Context { return d.ctx }
func (d *fakeDialog) Done() <-chan struct{}    { return d.ctx.Done() }
func (d *fakeDialog) Accept() error            { d.record("accept"); return nil }
func (d *fakeDialog) Provisional(code int, _ string, _ []byte) error {
	d.record(fmt.Sprint(code))
	return nil
}
func (d *fakeDialog) Answer([]byte) error { d.record("answer"); return nil }
func (d *fakeDialog) Refuse(r *Refusal) error {
	d.record(fmt.Sprintf("refuse %d", r.Code))
	return nil
}
func (d *fakeDialog) Unacked() bool  { return false }
func (d *fakeDialog) AbandonAnswer() {}
func (d *fakeDialog) Bye(context.Context) error {
	d.record("bye")
	d.hangUp()
	return nil
}
func (d *fakeDialog) ReportTransfer(_ context.Context, code int, _ string) error {
	d.record(fmt.Sprintf("notify %d", code))
	return nil
}

// ringing is how the fake network answers a hop: the responses it
// relays first, then the leg that answered or the final response.
type ringing struct {
	progress []int
	answer   *fakeDialog
	party    string
	final    int // the final failure when answer is nil
	// untilHangUp rings until the leg rung for hangs up (then 487).
	untilHangUp bool
}

// fakeHopRinger rings hops as the test scripted, in order.
type fakeHopRinger struct {
	mu     sync.Mutex
	script []ringing
	rung   []string // the hops rung, as Hop.String says them
}

func (n *fakeHopRinger) RingHop(rr RingRequest, h *orgdir.Hop, relay func(RingProgress)) (Dialog, string, *FinalResponse, error) {
	n.mu.Lock()
	n.rung = append(n.rung, h.String())
	if len(n.script) == 0 {
		n.mu.Unlock()
		return nil, "", nil, ErrNoAnswer
	}
	r := n.script[0]
	n.script = n.script[1:]
	n.mu.Unlock()
	for _, code := range r.progress {
		relay(RingProgress{Code: code, Reason: "Ringing"})
	}
	if r.untilHangUp {
		<-rr.HangUp
		res := &FinalResponse{StatusCode: StatusRequestTerminated, Reason: "Request Terminated"}
		return nil, "", res, fmt.Errorf("canceled: %s", res)
	}
	if r.answer == nil {
		res := &FinalResponse{StatusCode: r.final, Reason: "Busy Here"}
		return nil, "", res, fmt.Errorf("callee answered %s", res)
	}
	return r.answer, r.party, nil, nil
}

func (n *fakeHopRinger) hops() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.rung)
}

// loopCall is a call from user from to user to, on fakes, ready to run.
func loopCall(t *testing.T, fwd savedForwarding, from, to string, script ...ringing) (*Call, *fakeDialog, *fakeHopRinger, *keptCDRs) {
	t.Helper()
	host := newFakeHost(t, fwd)
	net := &fakeHopRinger{script: script}
	host.ringer = net
	dir := host.CallDirectory()
	rt := &orgdir.Route{Caller: dir.User(from), Targets: []*orgdir.User{dir.User(to)}}
	a := newFakeDialog("caller")
	c := NewIncomingCall(host, a, Origin{From: from, Dialed: to}, rt, dir.Settings, host.log)
	return c, a, net, host.cdrs
}

// start runs the call in a goroutine of its own, and an answered call's
// up as handleInvite does; the channel is closed when it is over.
func start(c *Call) <-chan struct{} {
	over := make(chan struct{})
	go func() {
		defer close(over)
		if up, _ := c.Run(); up != nil {
			up()
		}
	}()
	return over
}

func awaitOver(t *testing.T, over <-chan struct{}) {
	t.Helper()
	select {
	case <-over:
	case <-time.After(10 * time.Second): // a hang, not a measure
		t.Fatal("the call did not end")
	}
}

// legsEnded are the CDRs written: "to disposition code reason" each,
// in the order written.
func legsEnded(cdrs *keptCDRs) []string {
	cdrs.mu.Lock()
	defer cdrs.mu.Unlock()
	var out []string
	for _, l := range cdrs.legs {
		out = append(out, fmt.Sprintf("%s %s %s %d %s", l.Direction, l.To, l.Disposition, l.SIPCode, l.Reason))
	}
	slices.Sort(out) // finishAll writes concurrently
	return out
}

func TestTheLoopRingsRelaysRingingAnswersAndBridges(t *testing.T) {
	alice := newFakeDialog("alice")
	c, caller, net, cdrs := loopCall(t, nil, "1002", "1001", ringing{progress: []int{100, 180, 180}, answer: alice, party: "1001"})
	over := start(c)
	caller.await(t, "answer")
	alice.await(t, "answer") // the switch's ACK of her 2xx
	if c.b.Party != "1001" || c.b.Dialog != alice {
		t.Fatalf("the bridged leg is %q on %v", c.b.Party, c.b.Dialog)
	}
	alice.hangUp() // she hangs up: the caller gets the BYE
	awaitOver(t, over)
	if got, want := caller.done(), []string{"accept", "180", "answer", "bye"}; !slices.Equal(got, want) {
		t.Errorf("caller's leg: %v, want %v (100 is not relayed, 180 once)", got, want)
	}
	if got := alice.done(); !slices.Equal(got, []string{"answer"}) {
		t.Errorf("callee's leg: %v, want only the ACK (she hung up)", got)
	}
	if got := net.hops(); !slices.Equal(got, []string{"1001"}) {
		t.Errorf("rang %v", got)
	}
	want := []string{"inbound 1001 answered 200 direct", "outbound 1001 answered 200 direct"}
	if got := legsEnded(cdrs); !slices.Equal(got, want) {
		t.Errorf("CDRs %q, want %q", got, want)
	}
}

func TestABusyCalleeForwardsToTheNextHopOfHerRules(t *testing.T) {
	bob := newFakeDialog("bob")
	fwd := savedForwarding{"1001": config.Forwarding{Busy: "1002"}}
	c, caller, net, cdrs := loopCall(t, fwd, "1003", "1001",
		ringing{progress: []int{180}, final: 486},
		ringing{progress: []int{180}, answer: bob, party: "1002"})
	over := start(c)
	caller.await(t, "answer")
	caller.hangUp()
	bob.await(t, "bye")
	awaitOver(t, over)
	if got, want := net.hops(), []string{"1001", "1002"}; !slices.Equal(got, want) {
		t.Errorf("rang %v, want %v: busy asks the forwarding rules for the next hop", got, want)
	}
	want := []string{
		"inbound 1001 answered 200 direct",
		"outbound 1001 busy 486 direct",
		"outbound 1002 answered 200 forward",
	}
	if got := legsEnded(cdrs); !slices.Equal(got, want) {
		t.Errorf("CDRs %q, want %q", got, want)
	}
}

func TestABusyCalleeWithoutRulesIsBusyForTheCaller(t *testing.T) {
	c, caller, _, cdrs := loopCall(t, nil, "1002", "1001", ringing{final: 486})
	awaitOver(t, start(c))
	if got, want := caller.done(), []string{"accept", "refuse 486"}; !slices.Equal(got, want) {
		t.Errorf("caller's leg: %v, want %v", got, want)
	}
	want := []string{"inbound 1001 busy 486 direct", "outbound 1001 busy 486 direct"}
	if got := legsEnded(cdrs); !slices.Equal(got, want) {
		t.Errorf("CDRs %q, want %q", got, want)
	}
}

func TestABlindTransferBridgesTheCallerWithTheTarget(t *testing.T) {
	alice, carol := newFakeDialog("alice"), newFakeDialog("carol")
	c, caller, net, cdrs := loopCall(t, nil, "1002", "1001",
		ringing{answer: alice, party: "1001"},
		ringing{progress: []int{180}, answer: carol, party: "1003"})
	over := start(c)
	caller.await(t, "answer")
	// Alice's REFER to carol, as the switch's REFER handler hands it to the call.
	x := c.b
	c.StartBlindTransfer(x, c.host.CallDirectory().User("1001"), "1003")
	alice.await(t, "bye") // the transferor leaves once the target answered
	carol.await(t, "answer")
	caller.hangUp()
	carol.await(t, "bye")
	awaitOver(t, over)
	if got, want := alice.done(), []string{"answer", "notify 100", "notify 200", "bye"}; !slices.Equal(got, want) {
		t.Errorf("transferor's leg: %v, want %v", got, want)
	}
	if got, want := net.hops(), []string{"1001", "1003"}; !slices.Equal(got, want) {
		t.Errorf("rang %v, want %v", got, want)
	}
	if got := caller.done(); slices.Contains(got, "bye") {
		t.Errorf("the transferee was hung up: %v", got)
	}
	want := []string{
		"inbound 1001 answered 200 direct",
		"inbound 1003 answered 200 transfer",  // the transferor's leg to the target
		"outbound 1001 answered 200 direct",   // the transferor's own
		"outbound 1003 answered 200 transfer", // the target's
	}
	if got := legsEnded(cdrs); !slices.Equal(got, want) {
		t.Errorf("CDRs %q, want %q", got, want)
	}
}

// A callee who does not answer within the ring timeout, with no rule for
// it, leaves the caller with 480 and both legs unanswered.
func TestACalleeWhoDoesNotAnswerIsUnavailableForTheCaller(t *testing.T) {
	c, caller, net, cdrs := loopCall(t, nil, "1002", "1001") // nothing scripted: the hop rings out
	awaitOver(t, start(c))
	if got, want := caller.done(), []string{"accept", "refuse 480"}; !slices.Equal(got, want) {
		t.Errorf("caller's leg: %v, want %v", got, want)
	}
	if got := net.hops(); !slices.Equal(got, []string{"1001"}) {
		t.Errorf("rang %v", got)
	}
	want := []string{"inbound 1001 no-answer 480 direct", "outbound 1001 no-answer 487 direct"}
	if got := legsEnded(cdrs); !slices.Equal(got, want) {
		t.Errorf("CDRs %q, want %q", got, want)
	}
}

// A user's call to an outside number goes out through the trunk, routed
// as the switch routes it; the trunk's leg answers and is bridged like a
// phone's. No network: the trunk is the fake ringer.
func TestACallOutThroughTheTrunk(t *testing.T) {
	carrier := newFakeDialog("carrier")
	host := newFakeHost(t, nil)
	net := &fakeHopRinger{script: []ringing{{progress: []int{183}, answer: carrier}}}
	host.ringer = net
	dir := host.CallDirectory()
	alice := dir.User("1001")
	rt, err := dir.RouteDialed(alice, "+14155550199", alice.DefaultCallerID())
	if err != nil {
		t.Fatal(err)
	}
	caller := newFakeDialog("alice")
	c := NewIncomingCall(host, caller, Origin{From: "1001", Dialed: "+14155550199"}, rt, dir.Settings, host.log)
	over := start(c)
	caller.await(t, "answer")
	caller.hangUp()
	carrier.await(t, "bye")
	awaitOver(t, over)
	if got, want := caller.done(), []string{"accept", "183", "answer"}; !slices.Equal(got, want) {
		t.Errorf("caller's leg: %v, want %v", got, want)
	}
	if got := net.hops(); !slices.Equal(got, []string{"+14155550199"}) {
		t.Errorf("rang %v, want the number through the trunk", got)
	}
	want := []string{"inbound +14155550199 answered 200 direct", "outbound +14155550199 answered 200 direct"}
	if got := legsEnded(host.cdrs); !slices.Equal(got, want) {
		t.Errorf("CDRs %q, want %q", got, want)
	}
	for _, l := range host.cdrs.legs {
		if l.Direction == billing.Outbound && (l.Trunk != "carrier" || l.Endpoint != billing.EndpointTrunk || l.CallerID != "+14155550100") {
			t.Errorf("the trunk's leg: %+v", l)
		}
		if l.Direction == billing.Inbound && l.BillingClass != billing.ClassAccess {
			t.Errorf("the caller's leg of a call out is %s, want %s", l.BillingClass, billing.ClassAccess)
		}
	}
}

// The caller hanging up while the hop rings stops the ringing and ends
// the caller's leg as canceled, without a response (the CANCEL has one).
func TestACallerHangingUpWhileItRingsIsCanceled(t *testing.T) {
	c, caller, _, cdrs := loopCall(t, nil, "1002", "1001")
	caller.hangUp() // before ringing ends: the fake network then gives no answer
	awaitOver(t, start(c))
	if got := caller.done(); !slices.Equal(got, []string{"accept"}) {
		t.Errorf("caller's leg: %v, want no response after its CANCEL", got)
	}
	want := []string{"inbound 1001 canceled 487 direct", "outbound 1001 canceled 487 direct"}
	if got := legsEnded(cdrs); !slices.Equal(got, want) {
		t.Errorf("CDRs %q, want %q", got, want)
	}
}

// grantOnce grants each leg one slice and refuses to renew it.
type grantOnce struct{ slice time.Duration }

func (m grantOnce) Authorize(context.Context, billing.LegRequest) (*billing.Reservation, error) {
	return &billing.Reservation{Granted: m.slice}, nil
}
func (grantOnce) Answered(string, time.Time) {}
func (grantOnce) Renew(context.Context, string) (time.Duration, error) {
	return 0, billing.ErrInsufficientCredit
}
func (grantOnce) Release(string) {}

// A call whose credit cannot be renewed is hung up on both sides at the
// end of its grant, and both legs end then, credit exhausted.
func TestTheCreditCutsTheCallOffAtTheEndOfItsGrant(t *testing.T) {
	alice := newFakeDialog("alice")
	c, caller, _, cdrs := loopCall(t, nil, "1002", "1001", ringing{answer: alice, party: "1001"})
	const slice = 300 * time.Millisecond
	c.host.(*fakeHost).meter = grantOnce{slice: slice}
	over := start(c)
	caller.await(t, "bye")
	alice.await(t, "bye")
	awaitOver(t, over)
	want := []string{"inbound 1001 credit-exhausted 200 direct", "outbound 1001 credit-exhausted 200 direct"}
	if got := legsEnded(cdrs); !slices.Equal(got, want) {
		t.Errorf("CDRs %q, want %q", got, want)
	}
	cdrs.mu.Lock()
	defer cdrs.mu.Unlock()
	for _, l := range cdrs.legs {
		if got := l.EndedAt.Sub(*l.AnsweredAt); got != slice {
			t.Errorf("%s leg lasted %s, want its grant %s", l.Direction, got, slice)
		}
	}
}
