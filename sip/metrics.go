package sip

import (
	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the switch's Prometheus collectors.
type Metrics struct {
	Registrations prometheus.GaugeFunc
	ActiveCalls   prometheus.Gauge
	Calls         *prometheus.CounterVec // by outcome; rate() gives calls per second
	Legs          *prometheus.CounterVec // by disposition
	AuthFailures  prometheus.Counter
	Blocked       prometheus.Counter
	RTPPackets    *prometheus.CounterVec // relayed, by direction into the switch
	RTPBytes      *prometheus.CounterVec
	RTPDropped    prometheus.Counter
	NoAck         prometheus.Counter // answers never acknowledged: the switch hung up
	Overload      prometheus.Counter // INVITEs refused by admission control
	extra         []prometheus.Collector
}

func newMetrics(reg *registrar, pool *media.Pool) *Metrics {
	m := &Metrics{
		Registrations: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dialtone_registrations", Help: "Live registered contacts.",
		}, func() float64 { return float64(reg.count()) }),
		ActiveCalls: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dialtone_active_calls", Help: "Calls in progress (ringing or up).",
		}),
		Calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_calls_total", Help: "Calls handled, by final SIP class (rate() is calls per second).",
		}, []string{"result"}),
		Legs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_legs_total", Help: "Ended call legs, by disposition.",
		}, []string{"disposition"}),
		AuthFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_auth_failures_total", Help: "Digest authentications that failed.",
		}),
		Blocked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_auth_blocked_total", Help: "Requests refused because their source is blocked after repeated failures.",
		}),
		RTPPackets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_rtp_packets_total", Help: "RTP packets received from the parties of ended calls, by side.",
		}, []string{"side"}),
		RTPBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_rtp_bytes_total", Help: "RTP bytes received from the parties of ended calls, by side.",
		}, []string{"side"}),
		RTPDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_rtp_dropped_total", Help: "RTP packets dropped (foreign source, invalid, undeliverable).",
		}),
		NoAck: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_calls_unacknowledged_total", Help: "Calls hung up because the caller never acknowledged the 2xx (64×T1).",
		}),
		Overload: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_overload_refused_total", Help: "New INVITEs refused with 503 and Retry-After because too many calls were being set up.",
		}),
	}
	if pool != nil {
		m.extra = append(m.extra,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialtone_media_port_pairs", Help: "RTP/RTCP port pairs in the media pool."},
				func() float64 { return float64(pool.Size()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialtone_media_ports_in_use", Help: "RTP/RTCP port pairs held by calls."},
				func() float64 { return float64(pool.InUse()) }))
	}
	return m
}

// Collectors returns every collector, for registration.
func (m *Metrics) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{m.Registrations, m.ActiveCalls, m.Calls, m.Legs, m.AuthFailures, m.Blocked, m.RTPPackets, m.RTPBytes, m.RTPDropped, m.NoAck, m.Overload}, m.extra...)
}

// countMedia adds an ended leg's counters; per leg, not per packet, so
// the relay's hot path stays free of metric updates.
func (m *Metrics) countMedia(l *leg, s media.Stats) {
	side := "callee"
	if l != nil && l.cdr.Direction == billing.Inbound {
		side = "caller"
	}
	m.RTPPackets.WithLabelValues(side).Add(float64(s.RTPPacketsIn))
	m.RTPBytes.WithLabelValues(side).Add(float64(s.RTPBytesIn))
	m.RTPDropped.Add(float64(s.Dropped()))
}
