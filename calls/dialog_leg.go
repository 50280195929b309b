package calls

import (
	"sync"
	"time"

	"github.com/dialtone/dialtone/media"
)

// dialogLeg is one dialog the engine drives as a Leg: a leg it placed
// (HostNetwork), or a phone's call the switch answered for it (*55). Its
// media is one anchored port the engine owns: it plays into it or relays
// it to another leg. The leg writes its own CDR when it ends, and the last
// Progress is ProgressEnded with the CDR's leg id.
type dialogLeg struct {
	host     Host
	l        *CallLeg
	media    *media.Leg
	pt, te   uint8
	progress chan Progress
	stop     chan struct{} // closed by Hangup
	stopOnce sync.Once
	reason   string // why the engine hung up
	mu       sync.Mutex
	closed   bool // progress is closed: a late INFO key is dropped
}

var _ Leg = (*dialogLeg)(nil)

// progressBuffer is how many events a leg holds for the engine: the
// engine reads them at once, so this only absorbs bursts of keys.
const progressBuffer = 64

func newDialogLeg(host Host, l *CallLeg, m *media.Leg) *dialogLeg {
	e := &dialogLeg{host: host, l: l, media: m, pt: media.PayloadPCMU, te: media.DefaultTelephoneEvent,
		progress: make(chan Progress, progressBuffer), stop: make(chan struct{})}
	l.Stop = e.stop
	l.OnKey = func(k rune) { e.emitKey(k) }
	return e
}

// ID is the leg's CDR leg id.
func (e *dialogLeg) ID() LegID { return LegID(e.l.CDR.LegID) }

// Media is the switch's media port of the leg: the engine owns it (an
// Endpoint or a Relay takes it) and closes it.
func (e *dialogLeg) Media() *media.Leg { return e.media }

// PayloadTypes are the G.711 payload type the engine plays to the leg in
// and the leg's telephone-event payload type, as negotiated.
func (e *dialogLeg) PayloadTypes() (pt, te uint8) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pt, e.te
}

func (e *dialogLeg) setPayloadTypes(pt, te uint8) {
	e.mu.Lock()
	e.pt, e.te = pt, te
	e.mu.Unlock()
}

// Progress streams the leg's progress; it is closed after ProgressEnded.
func (e *dialogLeg) Progress() <-chan Progress { return e.progress }

// Hangup ends the leg: CANCEL while it rings, BYE when up. reason is
// logged; the CDR's disposition says what happened to the leg.
func (e *dialogLeg) Hangup(reason string) {
	e.stopOnce.Do(func() {
		e.mu.Lock()
		e.reason = reason
		e.mu.Unlock()
		close(e.stop)
	})
}

func (e *dialogLeg) hungUp() bool { return isDone(e.stop) }

func (e *dialogLeg) emit(p Progress) {
	if p.At.IsZero() {
		p.At = time.Now()
	}
	e.progress <- p
}

// emitKey passes a SIP INFO key on; keys nobody reads are dropped rather
// than holding the dialog's handler.
func (e *dialogLeg) emitKey(k rune) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	select {
	case e.progress <- Progress{Kind: ProgressDTMF, At: time.Now(), Key: k}:
	default:
	}
}

// ended writes the leg's CDR and reports it, last.
func (e *dialogLeg) ended(c *Call) {
	c.finishLeg(e.l, e.media)
	e.emit(Progress{Kind: ProgressEnded, Code: e.l.CDR.SIPCode, Disposition: string(e.l.CDR.Disposition), CDRLegID: e.l.CDR.LegID})
	e.mu.Lock()
	e.closed = true
	close(e.progress)
	e.mu.Unlock()
}
