package sip

import (
	"errors"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// fakeServerTx is a server transaction that ends when told, as sipgo's
// does: its OnTerminate callbacks run once, and after the end Respond
// fails and OnTerminate refuses new callbacks.
type fakeServerTx struct {
	done      chan struct{}
	err       error
	onEnd     []sip.FnTxTerminate
	responded int
}

func newFakeServerTx() *fakeServerTx { return &fakeServerTx{done: make(chan struct{})} }

func (f *fakeServerTx) end(err error) {
	f.err = err
	close(f.done)
	for _, fn := range f.onEnd {
		fn("key", err)
	}
}

func (f *fakeServerTx) Terminate() { f.end(sip.ErrTransactionTerminated) }
func (f *fakeServerTx) OnTerminate(fn sip.FnTxTerminate) bool {
	select {
	case <-f.done:
		return false
	default:
	}
	f.onEnd = append(f.onEnd, fn)
	return true
}
func (f *fakeServerTx) Done() <-chan struct{}        { return f.done }
func (f *fakeServerTx) Err() error                   { return f.err }
func (f *fakeServerTx) Respond(*sip.Response) error  { f.responded++; return nil }
func (f *fakeServerTx) Acks() <-chan *sip.Request    { return nil }
func (f *fakeServerTx) OnCancel(sip.FnTxCancel) bool { return true }

// The wrapper passes everything through while the transaction lives, and
// once it ended holds nothing of it and answers as an ended one does.
func TestInviteTxLetsGoOfAnEndedTransaction(t *testing.T) {
	canceled := errors.New("canceled")
	for _, tc := range []struct {
		name       string
		endedFirst bool // the transaction ended before it was wrapped
		err        error
	}{
		{"ends while wrapped", false, sip.ErrTransactionTerminated},
		{"ends with an error of its own", false, canceled},
		{"ended before it was wrapped", true, canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := newFakeServerTx()
			if tc.endedFirst {
				live.end(tc.err)
			}
			var w inviteTx
			w.wrap(live)
			if !tc.endedFirst {
				if err := w.Respond(&sip.Response{}); err != nil || live.responded != 1 {
					t.Fatalf("Respond while live: %v, %d sent", err, live.responded)
				}
				select {
				case <-w.Done():
					t.Fatal("Done before the end")
				default:
				}
				live.end(tc.err)
			}
			if tx, _ := w.tx(); tx != nil {
				t.Fatal("the ended transaction is still held")
			}
			<-w.Done()
			if !errors.Is(w.Err(), tc.err) {
				t.Errorf("Err = %v, want %v", w.Err(), tc.err)
			}
			if err := w.Respond(&sip.Response{}); !errors.Is(err, tc.err) {
				t.Errorf("Respond after the end = %v, want %v", err, tc.err)
			}
			if w.OnTerminate(func(string, error) {}) || w.OnCancel(func(*sip.Request) {}) {
				t.Error("an ended transaction took a callback")
			}
			if w.Acks() != nil {
				t.Error("an ended transaction has an ACK channel")
			}
			w.Terminate() // nothing to end: must not panic
		})
	}
}
