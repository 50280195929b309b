// Package webhook delivers events to the organization's CRM: JSON POSTs
// signed with HMAC-SHA256, from an outbox persisted in the switch's store,
// at least once, retried with exponential backoff. It is generic: the
// dialer sends attempt.completed, campaign.state and agent.state through
// it, and the texts send message.status the same way.
//
// It does not decide what is worth an event or what an event holds: the
// caller names the type and gives the data. It does not receive webhooks
// either: Twilio's inbound webhooks, and their signature check, are
// package messaging's.
//
// # Where it sits
//
// Below the dialer, beside the store: it imports internal/kv and nothing
// else of the switch. cmd/dialtone makes the switch's one Outbox (so the
// dialer's and the texts' events go out signed alike, in one persisted
// order), reads its Target from the running config at each delivery (the
// webhooks section, so a SIGHUP applies) and runs it; package dialer adds
// events inside its own transactions, and the texts' events reach it
// through messaging.Notifier, which cmd/dialtone implements with Publish.
//
// # Concepts
//
//   - Event: the body of one POST: id, type, created_at, data. The id
//     stays the same across redeliveries, so the CRM deduplicates on it
//     (it is also sent as Dialtone-Event-Id, the type as
//     Dialtone-Event-Type).
//   - Outbox: the events not yet delivered, in one kv bucket keyed by the
//     bucket's sequence, so they are sent in the order they were added.
//     Add queues an event inside the caller's transaction: the event is
//     kept exactly when what it reports is (an attempt's row and its
//     attempt.completed land together or not at all); Notify after the
//     commit wakes the delivery. Publish does both in a transaction of
//     its own.
//   - Delivery (Run, DeliverDue): due events oldest first; any answer but
//     a 2xx is a failure. After a failure the round stops and nothing is
//     sent before that event's retry time, so events keep their order and
//     a CRM that is down is not hammered. Backoff starts at MinBackoff and
//     doubles up to MaxBackoff, so a CRM down for an hour gets everything
//     within MaxBackoff of coming back; an event older than MaxAge is
//     given up and logged. Without a target URL the events wait in the
//     outbox until one is configured.
//   - Signature (Sign, Verify): the Dialtone-Signature header is
//     "t=UNIX,v1=HEX", HEX the HMAC-SHA256 keyed with the webhooks secret
//     of "UNIX." followed by the body (Stripe's scheme). The timestamp lets a receiver refuse a replayed
//     old request; Verify is what a receiver (and the tests) run.
//
// At least once, not exactly once: an event delivered whose removal from
// the outbox then fails is sent again; the CRM's deduplication on the id
// is what makes it once.
//
// # Use
//
//	o := webhook.New(webhook.Options{Store: kv.NewBolt(db), Target: func() webhook.Target {
//		return webhook.Target{URL: url, Secret: secret}
//	}})
//	go o.Run(ctx)
//	_, err := o.Publish("message.status", msg)
package webhook
