package calls

import (
	"context"
	"fmt"
	"time"

	orgdir "github.com/dialtone/dialtone/directory"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
	"github.com/dialtone/dialtone/voicemail"
)

// depositVoicemail answers the caller for user u's mailbox and lets the
// voicemail package take the message; the limits are the config's now.
// The caller's leg becomes an answered leg with reason voicemail, charged
// like any answered leg of its class.
func (c *Call) depositVoicemail(u *orgdir.User) {
	ep, ctx, ok := c.answerEndpoint()
	if !ok {
		return
	}
	defer c.endEndpoint(ep)
	set := c.host.CallDirectory().Settings
	c.host.VoicemailBox().Deposit(ctx, ep, voicemail.Deposit{Mailbox: u.Extension, Greeting: u.Greeting, From: c.a.CDR.From, LegID: c.a.CDR.LegID,
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
func (c *Call) answerEndpoint() (ep *media.Endpoint, ctx context.Context, ok bool) {
	host := c.host
	if host.MediaPool() == nil || c.Relay == nil || host.VoicemailBox() == nil {
		c.failRinging(nil, nil, ErrNoVoicemail)
		return nil, nil, false
	}
	a, b, err := c.Relay.Detach()
	c.Relay = nil
	if err != nil {
		c.failRinging(nil, nil, fmt.Errorf("voicemail media: %w", err))
		return nil, nil, false
	}
	_ = b.Close()
	answer, sel, err := media.Answer(c.a.SDP, host.MediaAddr(), a.Port())
	if err != nil {
		_ = a.Close()
		c.refuseDialog(&Refusal{Code: StatusNotAcceptableHere, Phrase: "Not Acceptable Here", Reason: "no G.711 codec for voicemail", Err: err})
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
	host.CountCall("2xx")
	ctx, cancel := context.WithCancel(host.RunContext())
	c.endpointCancel = cancel
	if !ackedOK {
		cancel() // nothing to play to a caller that never took the answer: hang up
	}
	// The caller's leg is charged like any answered leg: its credit is
	// renewed while the switch answers it, and ends it when refused.
	credit := newCreditClock(host.CreditMeter(), c.log, *c.a.CDR.AnsweredAt, c.Settings().MaxCallDuration)
	c.endpointCut = make(chan time.Time, 1)
	go func() {
		defer close(c.endpointCut)
		defer credit.Stop()
		for {
			select {
			case <-c.a.Done():
				cancel()
				return
			case <-ctx.Done():
				return
			case <-credit.C():
				if at, end := credit.check([]*CallLeg{c.a}); end {
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
func (c *Call) hangUpEndpoint(ep *media.Endpoint) {
	c.endpointEndedAt = time.Now() // not billed: the wait for the BYE's answer
	if !isDone(c.a.Done()) {
		byeCtx, cancel := context.WithTimeout(context.Background(), c.host.ByeTimeout())
		_ = c.a.Bye(byeCtx)
		cancel()
	}
	_ = ep.Close()
}

// endEndpoint writes the CDR of a call the switch answered itself.
func (c *Call) endEndpoint(ep *media.Endpoint) {
	c.endpointCancel()
	c.a.Endpoint.Store(nil)
	c.countMedia(c.a, ep.Leg())
	// The credit watch ends with the context: once it is over, the leg
	// is this goroutine's alone.
	if at, cut := <-c.endpointCut; cut {
		c.a.EndAt(at, c.CutoffDisposition(at.Sub(*c.a.CDR.AnsweredAt)), StatusOK)
	} else {
		if c.endpointEndedAt.IsZero() {
			c.endpointEndedAt = time.Now()
		}
		c.a.EndAt(c.endpointEndedAt, billing.Answered, StatusOK)
	}
	c.finish(c.a)
}

// listenMailbox answers a user calling their own mailbox and lets the
// voicemail package play it. Keys sent as SIP INFO reach the endpoint's
// digits (package sip's INFO handler), so the menu takes them as RFC 4733 events.
func (c *Call) listenMailbox(u *orgdir.User) {
	ep, ctx, ok := c.answerEndpoint()
	if !ok {
		return
	}
	defer c.endEndpoint(ep)
	c.host.VoicemailBox().Listen(ctx, ep, voicemail.Listen{Mailbox: u.Extension, Log: c.log})
	c.hangUpEndpoint(ep)
}
