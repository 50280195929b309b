package sip

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// edgeEvent is something a peer can make happen as often as it likes
// (an unparsable datagram, a refused connection): logging each would let
// it fill the disk, so they are counted and summarized instead.
type edgeEvent string

const (
	evUnparsable     edgeEvent = "dropped unparsable SIP messages"
	evTxDropped      edgeEvent = "SIP requests the transaction layer could not handle (no Via or CSeq, or out of state)"
	evTCPReadError   edgeEvent = "TCP connections ended by a read error"
	evTCPRefused     edgeEvent = "refused TCP connections over the connection caps"
	evTCPReadTimeout edgeEvent = "closed TCP connections that stopped in the middle of a message"
	evTCPIdle        edgeEvent = "closed idle TCP connections without registration or dialog"
	evAcceptError    edgeEvent = "failed TCP accepts (out of file descriptors?)"
)

// Bounds of what one interval remembers, whatever a flood's sources.
const (
	maxTalliedSources = 1024
	topSources        = 5
)

// edgeTally counts the events of one interval, by kind and source.
type edgeTally struct {
	mu    sync.Mutex
	kinds map[edgeEvent]*eventCount
}

type eventCount struct {
	total     int
	sources   map[string]int
	untallied int // events from sources beyond maxTalliedSources
}

// note counts one event; source is an IP address, or "" when unknown.
func (t *edgeTally) note(kind edgeEvent, source string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.kinds == nil {
		t.kinds = map[edgeEvent]*eventCount{}
	}
	c := t.kinds[kind]
	if c == nil {
		c = &eventCount{sources: map[string]int{}}
		t.kinds[kind] = c
	}
	c.total++
	switch {
	case source == "":
		c.untallied++
	case c.sources[source] > 0 || len(c.sources) < maxTalliedSources:
		c.sources[source]++
	default:
		c.untallied++
	}
}

// edgeSummary is one kind of event over one interval.
type edgeSummary struct {
	kind    edgeEvent
	count   int
	sources int    // distinct sources known (at most maxTalliedSources)
	top     string // the busiest sources, "ip=count, ..."
}

// flush returns the interval's summaries, busiest kind first, and starts
// a new interval.
func (t *edgeTally) flush() []edgeSummary {
	t.mu.Lock()
	kinds := t.kinds
	t.kinds = nil
	t.mu.Unlock()
	var out []edgeSummary
	for kind, c := range kinds {
		type sourceCount struct {
			source string
			n      int
		}
		var bySource []sourceCount
		for s, n := range c.sources {
			bySource = append(bySource, sourceCount{s, n})
		}
		slices.SortFunc(bySource, func(a, b sourceCount) int {
			return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.source, b.source))
		})
		var top []string
		for _, sc := range bySource[:min(topSources, len(bySource))] {
			top = append(top, fmt.Sprintf("%s=%d", sc.source, sc.n))
		}
		if c.untallied > 0 {
			top = append(top, fmt.Sprintf("other=%d", c.untallied))
		}
		out = append(out, edgeSummary{kind: kind, count: c.total, sources: len(c.sources), top: strings.Join(top, ", ")})
	}
	slices.SortFunc(out, func(a, b edgeSummary) int {
		return cmp.Or(cmp.Compare(b.count, a.count), strings.Compare(string(a.kind), string(b.kind)))
	})
	return out
}

// logEdgeSummaries writes one line per kind of event every interval
// until done is closed.
func logEdgeSummaries(log *slog.Logger, tally *edgeTally, every time.Duration, done <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			for _, s := range tally.flush() {
				log.Warn(string(s.kind), "count", s.count, "sources", s.sources, "top", s.top, "interval", every)
			}
		}
	}
}

// edgeWatch counts edge events in /metrics (no per-source labels: a flood
// from spoofed addresses must not grow the metrics) and in the tally that
// the summary lines name the busiest sources from.
type edgeWatch struct {
	tally   edgeTally
	metrics *Metrics
}

func (w *edgeWatch) unparsable(transport, source string) {
	w.metrics.Unparsable.WithLabelValues(transport).Inc()
	w.tally.note(evUnparsable, source)
}

func (w *edgeWatch) txDropped(source string) {
	w.metrics.TxDropped.Inc()
	w.tally.note(evTxDropped, source)
}

func (w *edgeWatch) tcpReadError() { w.tally.note(evTCPReadError, "") }

func (w *edgeWatch) acceptError() { w.tally.note(evAcceptError, "") }

// Reasons a TCP connection is refused or closed, as /metrics labels.
const (
	tcpOverSourceCap = "per_source"
	tcpOverTotalCap  = "total"
	tcpReadTimeout   = "read_timeout"
	tcpIdleTimeout   = "idle_timeout"
)

func (w *edgeWatch) tcpRefused(reason, source string) {
	w.metrics.TCPRefused.WithLabelValues(reason).Inc()
	w.tally.note(evTCPRefused, source)
}

func (w *edgeWatch) tcpClosed(reason, source string) {
	w.metrics.TCPClosed.WithLabelValues(reason).Inc()
	kind := evTCPIdle
	if reason == tcpReadTimeout {
		kind = evTCPReadTimeout
	}
	w.tally.note(kind, source)
}

// edgeSummaryInterval is how often the summaries are written: a flood
// costs one line per kind per interval.
const edgeSummaryInterval = 10 * time.Second
