package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/messaging"
	"github.com/dialtone/dialtone/sip"
	"github.com/dialtone/dialtone/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"
)

// pauseAfterAcceptEnv makes the switch stop for a while after Twilio took
// a text and before its charge is posted: the e2e crash test kills it
// there. Not for production.
const pauseAfterAcceptEnv = "DIALTONE_TEST_PAUSE_AFTER_ACCEPT"

// newMessaging builds the texts service on the switch and starts it: the
// outbox, the CRM events and the phones' MESSAGE handler.
func newMessaging(ctx context.Context, db *bbolt.DB, cfg *atomic.Pointer[config.Config], sw *sip.Switch, org *directory.Organization, meter *meterAdapter,
	outbox *webhook.Outbox, log *slog.Logger, reg *prometheus.Registry) (*messaging.Service, error) {
	store, err := messaging.OpenBoltStore(db)
	if err != nil {
		return nil, err
	}
	c := cfg.Load()
	opts := messaging.Options{
		Store: store, Phones: sw, Config: cfg.Load, Numbers: org.AllNumbers, Logger: log.With("component", "messaging"),
		Notifier: outboxNotifier{outbox},
	}
	if meter != nil {
		opts.Meter = meter.m.Texts()
	}
	if c.Twilio.Enabled() {
		tw, err := messaging.NewTwilio(c.Twilio.AccountSID, c.Twilio.AuthToken, c.Twilio.APIBaseURL)
		if err != nil {
			return nil, err
		}
		opts.Carrier = tw
	}
	if v := os.Getenv(pauseAfterAcceptEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pauseAfterAcceptEnv, err)
		}
		opts.AfterAccept = func(m *messaging.Message) {
			log.Warn("test: paused after the carrier's acceptance, before the charge", "id", m.ID, "sid", m.SID)
			time.Sleep(d)
		}
	}
	svc, err := messaging.New(opts)
	if err != nil {
		return nil, err
	}
	reg.MustRegister(svc.Collectors()...)
	if err := svc.Start(ctx); err != nil {
		return nil, err
	}
	sw.SetMessageHandler(svc)
	return svc, nil
}
