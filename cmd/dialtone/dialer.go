package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/dialer"
	"github.com/dialtone/dialtone/internal/kv"
	"github.com/dialtone/dialtone/sip"
	"github.com/dialtone/dialtone/webhook"
)

// newDialer makes the campaigns' dialer and the webhook outbox on the
// switch's store. Campaigns, leads, the do-not-call list and webhooks
// work now; dialling needs a call engine that implements dialer.Engine,
// which the switch does not yet: until it does, starting a campaign or
// joining an agent answers 503.
func newDialer(ctx context.Context, db *bbolt.DB, cfg *atomic.Pointer[config.Config], sw *sip.Switch, dataDir string, log *slog.Logger) (*dialer.Dialer, error) {
	store := kv.NewBolt(db)
	outbox := webhook.New(webhook.Options{Store: store, Log: log, Target: func() webhook.Target {
		w := cfg.Load().Webhooks
		return webhook.Target{URL: w.URL, Secret: w.Secret}
	}})
	engine, _ := any(sw).(dialer.Engine) // nil until the call engine implements it
	d, err := dialer.New(dialer.Options{
		Store: store, Engine: engine, Outbox: outbox, Log: log,
		Directory: dialer.ConfigDirectory{Config: cfg.Load, ExtraNumbers: sw.AllNumbers},
		LoadAudio: dialer.DirAudio(dataDir),
	})
	if err != nil {
		return nil, fmt.Errorf("dialer: %w", err)
	}
	if engine == nil {
		log.Info("dialer: no call engine yet: campaigns and leads can be managed, not dialled")
	}
	d.Start(ctx)
	go outbox.Run(ctx)
	return d, nil
}
