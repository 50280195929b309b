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
	Blocked       *prometheus.CounterVec // requests refused during a block, by reason (address, account)
	Blocks        *prometheus.CounterVec // blocks begun, by reason
	AuthReplays   *prometheus.CounterVec // right responses for another request, by reason (uri, nonce-count)
	RTPPackets    *prometheus.CounterVec // relayed, by direction into the switch
	RTPBytes      *prometheus.CounterVec
	RTPDropped    prometheus.Counter
	RTPRefused    prometheus.Counter
	// The network edge: what peers send that the switch drops, and its
	// inbound TCP connections.
	Unparsable *prometheus.CounterVec // by transport
	TxDropped  prometheus.Counter
	TCPOpen    prometheus.Gauge
	TCPRefused *prometheus.CounterVec // by cap: per_source, total
	TCPClosed  *prometheus.CounterVec // by timeout: read_timeout, idle_timeout
	NoAck      prometheus.Counter     // answers never acknowledged: the switch hung up
	Overload   prometheus.Counter     // INVITEs refused by admission control
	OverLate   prometheus.Counter     // of those, refused because they waited too long in the socket
	UDPWait    prometheus.Histogram   // how long datagrams waited in the UDP listener's socket
	extra      []prometheus.Collector
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
		Blocked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_auth_blocked_total", Help: "Requests refused because their source address, or the account they are for, is blocked after repeated failures.",
		}, []string{"reason"}),
		Blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_auth_blocks_total", Help: "Blocks begun after repeated authentication failures, of a source address or of an account.",
		}, []string{"reason"}),
		AuthReplays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_auth_replays_total", Help: "Digest credentials refused because they were computed for another request (uri) or their nonce count was used already (nonce-count).",
		}, []string{"reason"}),
		RTPPackets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_rtp_packets_total", Help: "RTP packets received from the parties of ended calls, by side.",
		}, []string{"side"}),
		RTPBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_rtp_bytes_total", Help: "RTP bytes received from the parties of ended calls, by side.",
		}, []string{"side"}),
		RTPDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_rtp_dropped_total", Help: "RTP packets dropped (foreign source, invalid, undeliverable, refused).",
		}),
		RTPRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_rtp_refused_total", Help: "RTP packets refused because their source may not latch the leg (a stranger, not the party's SDP or signalling host).",
		}),
		Unparsable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_sip_unparsable_total", Help: "SIP messages dropped because they do not parse, by transport (the log names the busiest sources).",
		}, []string{"transport"}),
		TxDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_sip_requests_dropped_total", Help: "SIP requests the transaction layer could not handle (no Via or CSeq, or out of state).",
		}),
		TCPOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dialtone_sip_tcp_connections", Help: "Inbound SIP TCP connections open.",
		}),
		TCPRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_sip_tcp_refused_total", Help: "Inbound SIP TCP connections refused, by the cap they hit (per_source, total).",
		}, []string{"cap"}),
		TCPClosed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialtone_sip_tcp_closed_total", Help: "Inbound SIP TCP connections the switch closed, by timeout (read_timeout: a message left half-sent; idle_timeout: nothing on it).",
		}, []string{"timeout"}),
		NoAck: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_calls_unacknowledged_total", Help: "Calls hung up because the caller never acknowledged the 2xx (64×T1).",
		}),
		Overload: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_overload_refused_total", Help: "New INVITEs refused with 503 and Retry-After because too many calls were being set up, or the switch was behind reading them; and engine legs (the dialer's) refused for the first reason.",
		}),
		OverLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dialtone_overload_refused_late_total", Help: "Of the refused INVITEs, those refused because they waited too long in the UDP socket before the switch read them.",
		}),
		UDPWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "dialtone_sip_udp_wait_seconds", Help: "How long datagrams waited in the SIP UDP listener's socket before the switch read them (from the kernel's receive time).",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1},
		}),
	}
	// Zeros from the start, so a dashboard sees the series before a flood.
	for _, t := range []string{"udp", "tcp"} {
		m.Unparsable.WithLabelValues(t)
	}
	m.TCPRefused.WithLabelValues(tcpOverSourceCap)
	m.TCPRefused.WithLabelValues(tcpOverTotalCap)
	m.TCPClosed.WithLabelValues(tcpReadTimeout)
	m.TCPClosed.WithLabelValues(tcpIdleTimeout)
	// Every reason shows in /metrics from the start, at zero.
	for _, r := range []blockReason{blockedAddress, blockedAccount} {
		m.Blocked.WithLabelValues(string(r))
		m.Blocks.WithLabelValues(string(r))
	}
	m.AuthReplays.WithLabelValues(replayURI)
	m.AuthReplays.WithLabelValues(replayNonceCount)
	if pool != nil {
		m.extra = append(m.extra,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialtone_media_port_pairs", Help: "RTP/RTCP port pairs in the media pool."},
				func() float64 { return float64(pool.Size()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialtone_media_ports_in_use", Help: "RTP/RTCP port pairs held by calls."},
				func() float64 { return float64(pool.InUse()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialtone_media_idle_pairs", Help: "RTP/RTCP port pairs kept bound between calls (two descriptors each)."},
				func() float64 { return float64(pool.Idle()) }))
	}
	return m
}

// Collectors returns every collector, for registration.
func (m *Metrics) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{m.Registrations, m.ActiveCalls, m.Calls, m.Legs, m.AuthFailures, m.Blocked, m.Blocks, m.AuthReplays,
		m.RTPPackets, m.RTPBytes, m.RTPDropped, m.RTPRefused,
		m.Unparsable, m.TxDropped, m.TCPOpen, m.TCPRefused, m.TCPClosed, m.NoAck, m.Overload, m.OverLate, m.UDPWait}, m.extra...)
}

// countMedia adds an ended leg's counters; per leg, not per packet, so
// the relay's hot path stays free of metric updates.
func (m *Metrics) countMedia(d billing.Direction, s media.Stats) {
	side := "callee"
	if d == billing.Inbound {
		side = "caller"
	}
	m.RTPPackets.WithLabelValues(side).Add(float64(s.RTPPacketsIn))
	m.RTPBytes.WithLabelValues(side).Add(float64(s.RTPBytesIn))
	m.RTPDropped.Add(float64(s.Dropped()))
	m.RTPRefused.Add(float64(s.Refused))
}
