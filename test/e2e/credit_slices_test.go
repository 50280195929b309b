package e2e

import (
	"encoding/json"
	"sort"
	"strconv"
	"testing"
	"time"
)

// reservedBy is /v1/balance's list of the legs holding reserved credit.
type reservedBy struct {
	Reserved   string `json:"reserved"`
	ReservedBy []struct {
		CallID         string     `json:"call_id"`
		LegID          string     `json:"leg_id"`
		User           string     `json:"user"`
		Destination    string     `json:"destination"`
		Amount         string     `json:"amount"`
		GrantedSeconds int64      `json:"granted_seconds"`
		GrantedUntil   *time.Time `json:"granted_until"`
	} `json:"reserved_by"`
}

func (s *switchProc) reservedBy() reservedBy {
	s.t.Helper()
	code, body := s.api("GET", "/v1/balance", nil)
	if code != 200 {
		s.t.Fatalf("GET /v1/balance: %d %s", code, body)
	}
	var r reservedBy
	if err := json.Unmarshal(body, &r); err != nil {
		s.t.Fatalf("balance %s: %v", body, err)
	}
	return r
}

// The issue: every call reserved max_call_duration (4 h) at its rate, so
// on a 5.00 balance one call to Australia (4 h × 0.035 = 8.40) held all of
// it and the next got 402. Reserving a 5-minute slice (0.18), twenty reps
// call at once, and /v1/balance says which legs hold the reserved credit.
func TestTwentyConcurrentCallsShareASmallBalance(t *testing.T) {
	// Not parallel: twenty calls must overlap within a 4 s hold.
	const calls = 20
	const au = "+61291234567" // US → AU local: 0.035 a minute
	sw := startSwitch(t, switchOpts{Balance: "5.00", NoNumbers: true, UserExtra: map[string]string{"1001": "    max_calls: 25"}})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", strconv.Itoa(calls))
	done := make(chan sippResult, 1)
	go func() {
		done <- sipp(t, sw.addr(), "-sf", scenario("uac_auth.xml"), "-s", au, "-key", "caller", "1001",
			"-au", "1001", "-ap", "alice-secret", "-d", "4000", "-m", strconv.Itoa(calls), "-r", "20", "-l", strconv.Itoa(calls),
			"-p", strconv.Itoa(freePort(t)))
	}()
	// While all twenty are up, each trunk leg holds one slice.
	var most reservedBy
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) && len(most.ReservedBy) < calls {
		if r := sw.reservedBy(); len(r.ReservedBy) > len(most.ReservedBy) {
			most = r
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res := <-done; res.code != 0 {
		t.Fatalf("%d concurrent calls: sipp exit %d\n%s", calls, res.code, tail(res.out, 3000))
	}
	_ = trunk()
	if len(most.ReservedBy) != calls || !dec(t, most.Reserved).Equal(dec(t, "3.60")) {
		t.Fatalf("reserved while the calls were up: %+v; want %d legs of 0.18", most, calls)
	}
	for _, l := range most.ReservedBy {
		if l.CallID == "" || l.LegID == "" || l.User != "1001" || l.Destination != au || !dec(t, l.Amount).Equal(dec(t, "0.18")) ||
			l.GrantedSeconds != 300 || l.GrantedUntil == nil {
			t.Errorf("reserved leg %+v; want user 1001 calling %s holding 0.18 for 300 s", l, au)
		}
	}
	legs := sw.cdrs(2 * calls)
	charged := 0
	for _, l := range legs {
		if l.Disposition != "answered" {
			t.Errorf("leg %s: %s %d", l.LegID, l.Disposition, l.SIPCode)
		}
		if l.BillingClass == "pstn-outbound" && l.Charge != nil && dec(t, l.Charge.Amount).Equal(dec(t, "0.04")) {
			charged++
		}
	}
	if len(legs) != 2*calls || charged != calls {
		t.Fatalf("%d legs, %d trunk legs charged 0.04; want %d and %d", len(legs), charged, 2*calls, calls)
	}
	if b, avail := sw.balance(); !dec(t, b).Equal(dec(t, "4.20")) || !dec(t, avail).Equal(dec(t, "4.20")) {
		t.Fatalf("balance %s, available %s after the calls; want 4.20 and nothing reserved", b, avail)
	}
}

// Two calls share a balance that pays 10 seconds, in slices of 2: each
// renews while it lasts, neither is refused at the start (a call used to
// reserve all the balance), and when a renewal is refused each call is
// cut off (credit-exhausted, both sides) at the end of its granted time,
// within one slice of the other, with the balance used to the cent.
func TestARefusedRenewalCutsEachCallAtTheEndOfItsGrant(t *testing.T) {
	t.Parallel()
	// One cent per second, billed per second, so a slice can be 2 s.
	rates := `  reservation_slice: 2s
  rates:
    - {kind: outbound, origin: US, prefix: "1", price: "0.60", currency: USD, initial: 1, increment: 1}`
	sw := startSwitch(t, switchOpts{Balance: "0.10", NoNumbers: true, Rates: rates})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "2")
	// Both callers would hold 20 s; the switch must hang up both sides.
	res := sw.call(t, "1001", "alice-secret", "+14155550199", 20000, "-m", "2", "-l", "2", "-r", "2")
	_ = trunk()
	_ = res // sipp counts the switch's BYE as an unexpected message: the CDRs tell
	legs := sw.cdrs(4)
	if len(legs) != 4 {
		t.Fatalf("want 4 legs, got %+v", legs)
	}
	var trunkLegs []cdr
	total := int64(0)
	for _, l := range legs {
		if l.Disposition != "credit-exhausted" {
			t.Errorf("leg %s (%s): disposition %s, %d s", l.LegID, l.Direction, l.Disposition, l.BillableSecs)
		}
		if l.BillingClass == "pstn-outbound" {
			trunkLegs = append(trunkLegs, l)
			total += l.BillableSecs
		}
	}
	if len(trunkLegs) != 2 || total != 10 {
		t.Fatalf("trunk legs %+v: %d s in all, want two legs using the 10 s the balance pays", trunkLegs, total)
	}
	sort.Slice(trunkLegs, func(i, j int) bool { return trunkLegs[i].EndedAt.Before(trunkLegs[j].EndedAt) })
	if gap := trunkLegs[1].EndedAt.Sub(trunkLegs[0].EndedAt); gap > 2*time.Second {
		t.Errorf("the calls were cut %s apart, more than one slice", gap)
	}
	if b, _ := sw.balance(); !dec(t, b).IsZero() {
		t.Fatalf("balance %s after the cut-off, want 0.00: every granted second paid, none overdrawn", b)
	}
}

// A caller the switch answers itself (voicemail) is charged like any
// answered leg, so its credit is renewed and a refusal ends the message
// at the end of the granted time, not when the caller hangs up.
func TestVoicemailIsCutOffWhenTheCreditRunsOut(t *testing.T) {
	t.Parallel()
	// The three numbers rent for 4.45, leaving 0.03: three seconds of an
	// inbound call at one cent a second, in slices of one second.
	rates := `  reservation_slice: 1s
  rates:
    - {kind: inbound, origin: US, prefix: "1", number_type: local, price: "0.60", currency: USD, initial: 1, increment: 1}
    - {kind: inbound, origin: US, prefix: "1", number_type: mobile, price: "0.60", currency: USD, initial: 1, increment: 1}`
	sw := startSwitch(t, switchOpts{Balance: "4.48", Voicemail: true, Rates: rates})
	if _, avail := sw.balance(); !dec(t, avail).Equal(dec(t, "0.03")) {
		t.Fatalf("available %s after the rentals, want 0.03", avail)
	}
	// Bob is not registered: his number's caller gets his voicemail, and
	// would talk for 12 s.
	_ = sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+14155550101", "-key", "caller", "+16505550123",
		"-d", "12000", "-m", "1", "-p", strconv.Itoa(freePort(t)))
	legs := sw.cdrs(1)
	if len(legs) != 1 || legs[0].Disposition != "credit-exhausted" || legs[0].BillableSecs != 3 || legs[0].Reason != "voicemail" {
		t.Fatalf("voicemail leg %+v: want a voicemail leg cut off after the 3 s the credit pays", legs)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, _ := sw.balance(); dec(t, b).IsZero() {
			return
		}
	}
	b, _ := sw.balance()
	t.Fatalf("balance %s after the cut-off, want 0.00", b)
}
