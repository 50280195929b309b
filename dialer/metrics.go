package dialer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics time the two waits a power campaign's agent notices: the idle
// gap from becoming ready (wrap-up over, or the last lead not answered)
// to the next lead's call leaving, and the time from a lead's answer to
// its bridge to the agent. bench/dialer_load.sh reads them from /metrics.
type metrics struct {
	idleGap prometheus.Histogram
	bridge  prometheus.Histogram
}

// latencyBuckets span 0.5 ms to 2.5 s: a healthy switch is in the
// first few, a stalled one shows in the last.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}

func newMetrics() *metrics {
	return &metrics{
		idleGap: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dialtone_dialer_idle_gap_seconds",
			Help:    "Power dialing: from an agent becoming ready (wrap-up over, or the last lead not answered) to the next lead's call placed.",
			Buckets: latencyBuckets,
		}),
		bridge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dialtone_dialer_bridge_seconds",
			Help:    "Power dialing: from a lead's answer to its bridge to the agent.",
			Buckets: latencyBuckets,
		}),
	}
}

// Collectors are the dialer's Prometheus collectors, for the switch's
// registry.
func (d *Dialer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{d.metrics.idleGap, d.metrics.bridge}
}

// observeSince records the time from start to now on h; a zero start
// (not known) records nothing.
func observeSince(h prometheus.Histogram, start, now time.Time) {
	if start.IsZero() || now.Before(start) {
		return
	}
	h.Observe(now.Sub(start).Seconds())
}
