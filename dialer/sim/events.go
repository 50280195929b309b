package sim

import "time"

type eventKind uint8

const (
	evTick    eventKind = iota // a pacing decision with nothing else happening
	evResolve                  // a dial in flight resolves: a person answers, or it ends without one
	evAbandon                  // a waiting person's patience runs out
	evTalkEnd                  // an agent's talk ends, wrap-up begins
	evWrapEnd                  // an agent's wrap-up ends, ready again
)

type event struct {
	at   time.Duration // since the start of the run
	seq  uint64        // ties broken by scheduling order: deterministic runs
	kind eventKind
	id   int // call id (evResolve, evAbandon) or agent index
}

// eventQueue is a binary min-heap of events by (at, seq), typed to avoid the
// interface boxing of container/heap on the simulator's hot path.
type eventQueue struct {
	items []event
	seq   uint64
}

func (q *eventQueue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.items = append(q.items, e)
	i := len(q.items) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			break
		}
		q.items[i], q.items[parent] = q.items[parent], q.items[i]
		i = parent
	}
}

func (q *eventQueue) pop() event {
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items = q.items[:last]
	i := 0
	for {
		l, r, small := 2*i+1, 2*i+2, i
		if l < last && q.less(l, small) {
			small = l
		}
		if r < last && q.less(r, small) {
			small = r
		}
		if small == i {
			break
		}
		q.items[i], q.items[small] = q.items[small], q.items[i]
		i = small
	}
	return top
}

func (q *eventQueue) less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (q *eventQueue) len() int { return len(q.items) }
