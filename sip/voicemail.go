package sip

import (
	"context"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
	"github.com/dialtone/dialtone/voicemail"
)

// Voicemail is the mailboxes (package voicemail): the switch answers a
// caller's leg with its own media endpoint and hands it over, and reads
// the counts for the message-waiting lamps (mwi.go).
type Voicemail = calls.Voicemail

// SetVoicemail gives the switch its mailboxes; call it before Start. A
// switch without them sends no call to voicemail.
func (sw *Switch) SetVoicemail(v Voicemail) { sw.voicemail = v }

// User is the user named (extension or name) in the config applied now.
func (sw *Switch) User(name string) *orgdir.User { return sw.directory().User(name) }

// depositVoicemail answers the caller for user u's mailbox and lets the
// voicemail package take the message; the limits are the config's now.
// The caller's leg becomes an answered leg with reason voicemail, charged
// like any answered leg of its class.
func (c *call) depositVoicemail(u *user) {
	ep, ctx, ok := c.answerEndpoint()
	if !ok {
		return
	}
	defer c.endEndpoint(ep)
	set := c.host.callDirectory().Settings
	c.host.voicemailBox().Deposit(ctx, ep, voicemail.Deposit{Mailbox: u.Extension, Greeting: u.Greeting, From: c.a.CDR.From, LegID: c.a.CDR.LegID,
		MaxLength: set.VoicemailMaxLength, Silence: set.VoicemailSilence, Log: c.log})
	// #, silence or the maximum length end the call too (the message is
	// stored by then), and the caller's media port goes back to the pool
	// whoever hung up.
	c.hangUpEndpoint(ep)
}

// answerEndpoint answers the caller with the switch itself as the far
// end: the caller's media leg leaves the relay for an Endpoint that plays
// and records. ctx ends when the caller hangs up. When ok is false the
// call has been answered with a failure and every CDR written.
func (c *call) answerEndpoint() (ep *media.Endpoint, ctx context.Context, ok bool) {
	host := c.host
	if host.mediaPool() == nil || c.Relay == nil || host.voicemailBox() == nil {
		c.failRinging(nil, nil, calls.ErrNoVoicemail)
		return nil, nil, false
	}
	a, b, err := c.Relay.Detach()
	c.Relay = nil
	if err != nil {
		c.failRinging(nil, nil, fmt.Errorf("voicemail media: %w", err))
		return nil, nil, false
	}
	_ = b.Close()
	answer, sel, err := media.Answer(c.a.SDP, host.mediaAddr(), a.Port())
	if err != nil {
		_ = a.Close()
		c.refuseDialog(&callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "no G.711 codec for voicemail", Err: err})
		return nil, nil, false
	}
	var opts []media.EndpointOption
	if sel.TelephoneEvent != nil {
		opts = append(opts, media.WithTelephoneEvent(sel.TelephoneEvent.PayloadType))
	}
	ep, err = media.NewEndpoint(a, sel.Codec.PayloadType, opts...)
	if err != nil {
		_ = a.Close()
		c.failRinging(nil, nil, fmt.Errorf("voicemail endpoint: %w", err))
		return nil, nil, false
	}
	// Before the 200 OK: a phone may send an INFO key as soon as it has it.
	c.a.Endpoint.Store(ep)
	c.a.CDR.Reason = billing.ReasonVoicemail
	c.a.SetAnswered(time.Now())
	c.releaseSetup()
	acked := make(chan struct{})
	c.sendAnswer(answer, acked)
	ackedOK := c.awaitAck(acked)
	if err := ep.Start(); err != nil {
		c.log.Warn("voicemail start", "error", err)
	}
	host.countCall("2xx")
	ctx, cancel := context.WithCancel(host.runContext())
	c.endpointCancel = cancel
	if !ackedOK {
		cancel() // nothing to play to a caller that never took the answer: hang up
	}
	// The caller's leg is charged like any answered leg: its credit is
	// renewed while the switch answers it, and ends it when refused.
	credit := newCreditClock(host.creditMeter(), c.log, *c.a.CDR.AnsweredAt, c.settings().MaxCallDuration)
	c.endpointCut = make(chan time.Time, 1)
	go func() {
		defer close(c.endpointCut)
		defer credit.stop()
		for {
			select {
			case <-c.a.done():
				cancel()
				return
			case <-ctx.Done():
				return
			case <-credit.C():
				if at, end := credit.check([]*leg{c.a}); end {
					c.endpointCut <- at
					cancel()
					return
				}
			}
		}
	}()
	return ep, ctx, true
}

// hangUpEndpoint ends the caller's side of a call the switch answered.
func (c *call) hangUpEndpoint(ep *media.Endpoint) {
	c.endpointEndedAt = time.Now() // not billed: the wait for the BYE's answer
	if !isDone(c.a.done()) {
		byeCtx, cancel := context.WithTimeout(context.Background(), c.host.byeTimeout())
		_ = c.a.Bye(byeCtx)
		cancel()
	}
	_ = ep.Close()
}

// endEndpoint writes the CDR of a call the switch answered itself.
func (c *call) endEndpoint(ep *media.Endpoint) {
	c.endpointCancel()
	c.a.Endpoint.Store(nil)
	c.countMedia(c.a, ep.Leg())
	// The credit watch ends with the context: once it is over, the leg
	// is this goroutine's alone.
	if at, cut := <-c.endpointCut; cut {
		c.a.EndAt(at, c.cutoffDisposition(at.Sub(*c.a.CDR.AnsweredAt)), 200)
	} else {
		if c.endpointEndedAt.IsZero() {
			c.endpointEndedAt = time.Now()
		}
		c.a.EndAt(c.endpointEndedAt, billing.Answered, 200)
	}
	c.finish(c.a)
}

// listenMailbox answers a user calling their own mailbox and lets the
// voicemail package play it. Keys sent as SIP INFO reach the endpoint's
// digits (handleInfo), so the menu takes them as RFC 4733 events.
func (c *call) listenMailbox(u *user) {
	ep, ctx, ok := c.answerEndpoint()
	if !ok {
		return
	}
	defer c.endEndpoint(ep)
	c.host.voicemailBox().Listen(ctx, ep, voicemail.Listen{Mailbox: u.Extension, Log: c.log})
	c.hangUpEndpoint(ep)
}
