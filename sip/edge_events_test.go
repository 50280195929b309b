package sip

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestEdgeTallySummaries(t *testing.T) {
	type event struct {
		kind   edgeEvent
		source string
		times  int
	}
	tests := []struct {
		name   string
		events []event
		want   []edgeSummary
	}{
		{name: "nothing happened", want: nil},
		{
			name: "busiest source first, ties by address",
			events: []event{
				{evUnparsable, "192.0.2.7", 3}, {evUnparsable, "192.0.2.1", 9}, {evUnparsable, "192.0.2.9", 3},
			},
			want: []edgeSummary{{kind: evUnparsable, count: 15, sources: 3, top: "192.0.2.1=9, 192.0.2.7=3, 192.0.2.9=3"}},
		},
		{
			name: "only the top five are named",
			events: []event{
				{evTCPRefused, "10.0.0.1", 6}, {evTCPRefused, "10.0.0.2", 5}, {evTCPRefused, "10.0.0.3", 4},
				{evTCPRefused, "10.0.0.4", 3}, {evTCPRefused, "10.0.0.5", 2}, {evTCPRefused, "10.0.0.6", 1},
			},
			want: []edgeSummary{{kind: evTCPRefused, count: 21, sources: 6, top: "10.0.0.1=6, 10.0.0.2=5, 10.0.0.3=4, 10.0.0.4=3, 10.0.0.5=2"}},
		},
		{
			name:   "unknown sources are counted as other",
			events: []event{{evUnparsable, "", 4}, {evUnparsable, "198.51.100.1", 1}},
			want:   []edgeSummary{{kind: evUnparsable, count: 5, sources: 1, top: "198.51.100.1=1, other=4"}},
		},
		{
			name:   "kinds apart, the busiest first",
			events: []event{{evTCPIdle, "10.0.0.1", 1}, {evUnparsable, "10.0.0.1", 2}},
			want: []edgeSummary{
				{kind: evUnparsable, count: 2, sources: 1, top: "10.0.0.1=2"},
				{kind: evTCPIdle, count: 1, sources: 1, top: "10.0.0.1=1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tally edgeTally
			for _, e := range tt.events {
				for range e.times {
					tally.note(e.kind, e.source)
				}
			}
			got := tally.flush()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
			if again := tally.flush(); again != nil {
				t.Errorf("a second flush gave %v: the interval was not reset", again)
			}
		})
	}
}

// A flood from spoofed addresses must not grow the tally without bound.
func TestEdgeTallyBoundsSources(t *testing.T) {
	var tally edgeTally
	const sources = maxTalliedSources + 500
	for i := range sources {
		tally.note(evUnparsable, fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
	}
	tally.note(evUnparsable, "10.0.0.0") // a source already known is still counted as itself
	got := tally.flush()
	if len(got) != 1 || got[0].count != sources+1 || got[0].sources != maxTalliedSources ||
		!strings.HasPrefix(got[0].top, "10.0.0.0=2, ") || !strings.HasSuffix(got[0].top, ", other=500") {
		t.Fatalf("got %+v", got)
	}
}

func TestSipgoLogHandler(t *testing.T) {
	tests := []struct {
		name       string
		caller     string
		level      slog.Level
		msg        string
		err        string // the record's error attribute
		written    bool
		unparsable map[string]float64 // by transport
		txDropped  float64
		summary    string // the tally's top sources afterwards
	}{
		{name: "a UDP parse error is counted, by its source", caller: "Transport<UDP>", level: slog.LevelError, msg: sipgoParseFailed,
			unparsable: map[string]float64{"udp": 1}, summary: "203.0.113.5=1"},
		{name: "a TCP parse error is counted", caller: "Transport<TCP>", level: slog.LevelError, msg: sipgoParseFailed,
			unparsable: map[string]float64{"tcp": 1}, summary: "other=1"},
		{name: "a request without Via or CSeq is counted, by its source", caller: "TransactionLayer", level: slog.LevelError, msg: sipgoTxFailed,
			err:       "make key failed: 'Via' header not found or empty in message 'request method=OPTIONS Recipient=sip:x@127.0.0.1 transport=UDP source=198.51.100.9:49776'",
			txDropped: 1, summary: "198.51.100.9=1"},
		{name: "a dropped request without a source in its error", caller: "TransactionLayer", level: slog.LevelError, msg: sipgoTxFailed,
			err: "failed to receive req: fsm", txDropped: 1, summary: "other=1"},
		{name: "the stateless 400 failure that follows it is dropped", caller: "TransactionLayer", level: slog.LevelError, msg: sipgoStateless400Err},
		{name: "a TCP read error is summarized", caller: "Transport<TCP>", level: slog.LevelError, msg: sipgoReadError, summary: "other=1"},
		{name: "other errors are written", caller: "Transport<UDP>", level: slog.LevelError, msg: "Read connection error", written: true},
		{name: "warnings are written", caller: "TransactionLayer", level: slog.LevelWarn, msg: "something odd", written: true},
		{name: "debug lines are not", caller: "Transport<TCP>", level: slog.LevelDebug, msg: "New connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			watch := &edgeWatch{metrics: newMetrics(newRegistrar(), nil)}
			next := slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})
			h := &sipgoLogHandler{next: next, watch: watch, udpSource: func() string { return "203.0.113.5" }}
			// As sipgo builds its loggers: the layer's, then the transport's.
			log := slog.New(h).With("caller", "TransportLayer").With("caller", tt.caller)
			log.Log(t.Context(), tt.level, tt.msg, "error", errors.New(tt.err), "data", "\xff\xfe garbage")
			if written := out.Len() > 0; written != tt.written {
				t.Errorf("written %v, want %v: %q", written, tt.written, out.String())
			}
			for _, transport := range []string{"udp", "tcp"} {
				if got := counterValue(t, watch.metrics.Unparsable.WithLabelValues(transport)); got != tt.unparsable[transport] {
					t.Errorf("unparsable %s: %v, want %v", transport, got, tt.unparsable[transport])
				}
			}
			if got := counterValue(t, watch.metrics.TxDropped); got != tt.txDropped {
				t.Errorf("tx dropped %v, want %v", got, tt.txDropped)
			}
			var top string
			if s := watch.tally.flush(); len(s) > 0 {
				top = s[0].top
			}
			if top != tt.summary {
				t.Errorf("summary %q, want %q", top, tt.summary)
			}
		})
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
