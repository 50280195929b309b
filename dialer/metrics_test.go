package dialer

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// histogramOf reads a histogram's sample count and sum.
func histogramOf(t *testing.T, h prometheus.Histogram) (uint64, float64) {
	t.Helper()
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
}

// The idle gap runs from the agent becoming ready to the next lead's call
// placed (here: leads arrive 3 s after the agent joined, then the next
// lead goes at once after a busy one); the bridge time runs from the
// engine's answer to the bridge (here the answer event is 40 ms old when
// the dialer handles it).
func TestIdleGapAndBridgeTimeMetrics(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.startCampaign(c.ID)
	h.join(c, "1001")
	h.clock.Advance(3 * time.Second)
	h.leads(c.ID, "+12125550201", "+12125550202")
	if n, sum := histogramOf(t, h.d.metrics.idleGap); n != 1 || sum != 3 {
		t.Fatalf("idle gap after the first dial: %d samples, sum %v; want 1, 3", n, sum)
	}
	h.ended(h.lastDial("1001").Leg, "busy", 486)
	if n, sum := histogramOf(t, h.d.metrics.idleGap); n != 2 || sum != 3 {
		t.Fatalf("idle gap after the second dial: %d samples, sum %v; want 2, 3", n, sum)
	}
	if n, _ := histogramOf(t, h.d.metrics.bridge); n != 0 {
		t.Fatalf("bridge time before any answer: %d samples", n)
	}
	answer := Event{Kind: EventAnswered, Leg: h.lastDial("1001").Leg, At: h.clock.Now().Add(-40 * time.Millisecond)}
	h.d.handleEvent(answer)
	if n, sum := histogramOf(t, h.d.metrics.bridge); n != 1 || sum != 0.04 {
		t.Fatalf("bridge time: %d samples, sum %v; want 1, 0.04", n, sum)
	}
	if got := len(h.d.Collectors()); got != 2 {
		t.Fatalf("collectors: %d", got)
	}
}
