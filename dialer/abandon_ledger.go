package dialer

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/dialer/pacing"
	"github.com/dialtone/dialtone/internal/kv"
)

// bucketAbandon keeps each campaign's abandon ledger (pacing.LedgerState)
// so the abandon rate over its window survives restarts.
const bucketAbandon = "dialer_abandon" // campaign id -> pacing.LedgerState

// newLedger is a campaign's abandon ledger: restored from saved (nil:
// empty) in the campaign's window.
func newLedger(c Campaign, saved *pacing.LedgerState) *pacing.AbandonLedger {
	w := pacing.Window(c.AbandonWindow)
	if w == "" {
		w = pacing.Window30Days
	}
	if saved != nil {
		if l, err := pacing.RestoreAbandonLedger(*saved, time.UTC); err == nil {
			return l
		}
	}
	l, err := pacing.NewAbandonLedger(w, time.UTC)
	if err != nil {
		l, _ = pacing.NewAbandonLedger(pacing.Window30Days, time.UTC)
	}
	return l
}

// loadLedgers reads the saved ledgers (in load's transaction).
func loadLedgers(tx kv.Tx) (map[string]*pacing.LedgerState, error) {
	out := map[string]*pacing.LedgerState{}
	err := tx.ForEach(bucketAbandon, func(k string, raw []byte) error {
		var st pacing.LedgerState
		if err := json.Unmarshal(raw, &st); err != nil {
			return fmt.Errorf("decode abandon ledger %s: %w", k, err)
		}
		out[k] = &st
		return nil
	})
	return out, err
}

// recordHumanLocked counts a person's answer (every mode) and saves the
// ledger.
func (d *Dialer) recordHumanLocked(r *run, at time.Time) {
	r.ledger.RecordHuman(at)
	d.saveLedgerLocked(r)
}

// recordAbandonLocked counts an abandon of the person who answered at at.
func (d *Dialer) recordAbandonLocked(r *run, at time.Time) {
	r.ledger.RecordAbandon(at)
	d.saveLedgerLocked(r)
}

func (d *Dialer) saveLedgerLocked(r *run) {
	st := r.ledger.State(d.now())
	if err := d.update(func(tx kv.Tx) error { return tx.Put(bucketAbandon, r.c.ID, st) }); err != nil {
		d.log.Error("dialer: save abandon ledger", "campaign", r.c.ID, "error", err)
	}
}

// pacerFor is a campaign's pacing: dialer/pacing's predictive pacer on
// the campaign's ledger, or Options.NewPacer.
func (d *Dialer) pacerFor(r *run) Pacer {
	if r.c.Mode != ModePredictive {
		return d.opts.NewPacer(r.c)
	}
	return Pacing(pacing.NewPredictive(pacing.PredictiveConfig{Target: r.c.AbandonTarget, Limit: r.c.AbandonLimit,
		Ledger: r.ledger, MaxLinesPerAgent: r.c.MaxLinesPerAgent, AbandonAfter: AbandonAfter}))
}
