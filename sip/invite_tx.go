package sip

import (
	"sync"

	"github.com/emiago/sipgo/sip"
)

// inviteTx is a caller's INVITE transaction as the switch and the
// caller's sipgo dialog hold it. sipgo's dialog keeps its transaction
// for as long as the call lasts, and a server transaction keeps the
// INVITE as it was received and parsed (the dialog has its own copy),
// its answer, its timers and channels: ≈ 4 KB a call. Once the
// transaction has ended, inviteTx lets go of it and answers as an ended
// transaction does, so all that goes with it and a held call costs only
// what it uses.
type inviteTx struct {
	mu   sync.Mutex
	live sip.ServerTransaction // nil once it ended
	err  error                 // why it ended
}

// endedTx is the Done channel of every ended inviteTx.
var endedTx = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// wrap makes t tx's, which it lets go of once it ends.
func (t *inviteTx) wrap(tx sip.ServerTransaction) {
	t.live = tx
	if !tx.OnTerminate(t.ended) {
		t.ended("", tx.Err())
	}
}

// ended drops the transaction. sipgo runs it with the transaction's
// state machine locked: it calls none of its methods.
func (t *inviteTx) ended(_ string, err error) {
	t.mu.Lock()
	t.live, t.err = nil, err
	t.mu.Unlock()
}

// tx is the transaction while it lasts; nil and why it ended after.
func (t *inviteTx) tx() (sip.ServerTransaction, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.live, t.err
}

func (t *inviteTx) Terminate() {
	if tx, _ := t.tx(); tx != nil {
		tx.Terminate()
	}
}

func (t *inviteTx) OnTerminate(f sip.FnTxTerminate) bool {
	if tx, _ := t.tx(); tx != nil {
		return tx.OnTerminate(f)
	}
	return false
}

func (t *inviteTx) Done() <-chan struct{} {
	if tx, _ := t.tx(); tx != nil {
		return tx.Done()
	}
	return endedTx
}

func (t *inviteTx) Err() error {
	tx, err := t.tx()
	if tx != nil {
		return tx.Err()
	}
	return err
}

// Respond after the end sends nothing, as an ended transaction's does,
// and returns why it ended.
func (t *inviteTx) Respond(res *sip.Response) error {
	tx, err := t.tx()
	if tx != nil {
		return tx.Respond(res)
	}
	if err == nil {
		err = sip.ErrTransactionTerminated
	}
	return err
}

// Acks after the end is a channel nothing is sent on, as an ended
// transaction's.
func (t *inviteTx) Acks() <-chan *sip.Request {
	if tx, _ := t.tx(); tx != nil {
		return tx.Acks()
	}
	return nil
}

func (t *inviteTx) OnCancel(f sip.FnTxCancel) bool {
	if tx, _ := t.tx(); tx != nil {
		return tx.OnCancel(f)
	}
	return false
}
