package sip

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the switch's Prometheus collectors.
type Metrics struct {
	Registrations prometheus.GaugeFunc
	ActiveCalls   prometheus.Gauge
	Calls         *prometheus.CounterVec // by outcome; rate() gives calls per second
	Legs          *prometheus.CounterVec // by disposition
	AuthFailures  prometheus.Counter
	Blocked       prometheus.Counter
}

func newMetrics(reg *registrar) *Metrics {
	return &Metrics{
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
	}
}

// Collectors returns every collector, for registration.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Registrations, m.ActiveCalls, m.Calls, m.Legs, m.AuthFailures, m.Blocked}
}
