package main

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/internal/kv"
	"github.com/dialtone/dialtone/messaging"
	"github.com/dialtone/dialtone/webhook"
	"go.etcd.io/bbolt"
)

// newOutbox is the switch's one webhook outbox: the dialer's events and
// the texts' message.status go to the CRM at the config's webhooks
// target, signed alike, in one persisted order. It delivers until ctx
// ends.
func newOutbox(ctx context.Context, db *bbolt.DB, cfg *atomic.Pointer[config.Config], log *slog.Logger) *webhook.Outbox {
	o := webhook.New(webhook.Options{Store: kv.NewBolt(db), Log: log.With("component", "webhooks"), Target: func() webhook.Target {
		w := cfg.Load().Webhooks
		return webhook.Target{URL: w.URL, Secret: w.Secret}
	}})
	go o.Run(ctx)
	return o
}

// outboxNotifier hands the texts' CRM events to the outbox: Notify
// returns once the event is persisted, as messaging.Notifier asks.
type outboxNotifier struct{ o *webhook.Outbox }

func (n outboxNotifier) Notify(_ context.Context, e messaging.Event) error {
	_, err := n.o.Publish(e.Type, e.Data)
	return err
}
