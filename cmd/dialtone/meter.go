package main

import (
	"context"
	"fmt"
	"log/slog"
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
	run    context.Context
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
	runCtx, cancel := context.WithCancel(context.Background())
	a := &meterAdapter{m: m, log: log, cancel: cancel, done: make(chan struct{}), run: runCtx}
	return a, nil
}

// start rents the organization's numbers (config and API) and starts the
// rental scheduler.
func (a *meterAdapter) start(ctx context.Context, numbers []config.Number) {
	_ = a.syncNumbers(ctx, numbers)
	go func() { defer close(a.done); a.m.Rentals().Run(a.run) }()
}

// syncNumbers rents numbers new to the set and stops renewing removed
// ones. A rental the balance cannot pay is flagged and retried by the
// scheduler, so it is logged, not fatal.
func (a *meterAdapter) syncNumbers(ctx context.Context, numbers []config.Number) error {
	if err := a.m.Rentals().SyncNumbers(ctx, numbers, time.Now()); err != nil {
		a.log.Warn("sync phone-number rentals", "error", err)
	}
	return nil
}

// reload applies a new config's rate deck.
func (a *meterAdapter) reload(cfg *config.Config) error {
	deck, err := billing.DeckForConfig(cfg)
	if err != nil {
		return fmt.Errorf("rate deck: %w", err)
	}
	return a.m.Reload(cfg, deck)
}

func (a *meterAdapter) stop() {
	a.cancel()
	select {
	case <-a.done:
	case <-time.After(5 * time.Second):
	}
}
