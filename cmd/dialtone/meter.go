package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"
)

// meterAdapter connects the billing meter to the switch and runs its
// rental scheduler.
type meterAdapter struct {
	m      *billing.Meter
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

func newMeter(ctx context.Context, db *bbolt.DB, cfg *config.Config, log *slog.Logger, reg *prometheus.Registry) (*meterAdapter, error) {
	deck, err := billing.DeckForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("rate deck: %w", err)
	}
	m, err := billing.NewMeter(db, cfg, deck, billing.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("meter: %w", err)
	}
	reg.MustRegister(m.Collectors()...)
	if err := m.SyncNumbers(ctx, cfg.Numbers, time.Now()); err != nil {
		// A rental the balance cannot pay is flagged and retried by the
		// scheduler; the switch still starts.
		log.Warn("sync phone-number rentals", "error", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	a := &meterAdapter{m: m, log: log, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(a.done); m.RunRentals(runCtx) }()
	return a, nil
}

// reload applies a new config's rate deck and numbers: numbers new to the
// config are rented (and charged) now, removed ones stop renewing.
func (a *meterAdapter) reload(ctx context.Context, cfg *config.Config) error {
	deck, err := billing.DeckForConfig(cfg)
	if err != nil {
		return fmt.Errorf("rate deck: %w", err)
	}
	if err := a.m.Reload(cfg, deck); err != nil {
		return err
	}
	if err := a.m.SyncNumbers(ctx, cfg.Numbers, time.Now()); err != nil {
		a.log.Warn("sync phone-number rentals", "error", err) // flagged and retried, as at start
	}
	return nil
}

func (a *meterAdapter) poster() billing.LegPoster { return a.m }
func (a *meterAdapter) routes(mux *http.ServeMux) { a.m.Routes(mux) }

func (a *meterAdapter) stop() {
	a.cancel()
	<-a.done
}

// Authorize reserves credit for a leg.
func (a *meterAdapter) Authorize(ctx context.Context, leg *billing.CDR) (time.Duration, error) {
	r, err := a.m.Authorize(ctx, billing.LegRequestFromCDR(leg))
	if err != nil {
		return 0, err
	}
	return r.MaxDuration, nil
}

func (a *meterAdapter) Release(legID string) { a.m.Release(legID) }
