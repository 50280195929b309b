package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/dialer"
	"github.com/dialtone/dialtone/dialer/pacing"
	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/internal/kv"
	"github.com/dialtone/dialtone/sip"
	"github.com/dialtone/dialtone/webhook"
)

// newDialer makes the campaigns' dialer on the switch's store, its events
// going to outbox, dialling through the call engine (package calls) on the
// switch; *55 calls join agents. Without anchored media the switch cannot
// place the engine's legs: campaigns can then be managed, not dialled.
func newDialer(ctx context.Context, db *bbolt.DB, cfg *atomic.Pointer[config.Config], sw *sip.Switch, org *directory.Organization, outbox *webhook.Outbox, dataDir string, log *slog.Logger) (*dialer.Dialer, error) {
	store := kv.NewBolt(db)
	var engine dialer.Engine
	var eng *dialerEngine
	if sw.Anchors() {
		eng = newDialerEngine(sw, db, log)
		engine = eng
	}
	d, err := dialer.New(dialer.Options{
		Store: store, Engine: engine, Outbox: outbox, Log: log,
		Directory: dialer.ConfigDirectory{Config: cfg.Load, ExtraNumbers: org.AllNumbers},
		LoadAudio: dialer.DirAudio(dataDir),
		NewPacer:  newPacer,
	})
	if err != nil {
		return nil, fmt.Errorf("dialer: %w", err)
	}
	if engine == nil {
		log.Info("dialer: media anchoring is off: campaigns and leads can be managed, not dialled")
	} else {
		sw.SetAgentJoin(eng.agentJoin(d))
	}
	d.Start(ctx)
	return d, nil
}

// newPacer is a campaign's pacing: dialer/pacing's power pacer.
func newPacer(dialer.Campaign) dialer.Pacer { return dialer.Pacing(pacing.NewPower()) }
