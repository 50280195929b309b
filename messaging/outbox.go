package messaging

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/prometheus/client_golang/prometheus"
)

// outbox sends queued texts, one lane per sending number at the carrier's
// rate for it. The queue is the store's: a text stays queued there until
// the carrier takes or refuses it, so a restart resumes where it was.
type outbox struct {
	s     *Service
	mu    sync.Mutex
	lanes map[string]chan struct{} // sending number -> wake-up
	ctx   context.Context
	wg    sync.WaitGroup

	sent, refused, retried prometheus.Counter
}

// retryBackoff bounds the wait after the carrier could not be reached.
const (
	minRetry = time.Second
	maxRetry = time.Minute
)

func newOutbox(s *Service) *outbox {
	return &outbox{
		s: s, lanes: map[string]chan struct{}{},
		sent:    prometheus.NewCounter(prometheus.CounterOpts{Name: "dialtone_messages_sent_total", Help: "Texts the carrier accepted."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "dialtone_messages_refused_total", Help: "Texts the carrier refused (never sent, not charged)."}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{Name: "dialtone_messages_send_retries_total", Help: "Sends retried after the carrier could not be reached."}),
	}
}

func (o *outbox) start(ctx context.Context) error {
	o.mu.Lock()
	o.ctx = ctx
	o.mu.Unlock()
	queued, err := o.s.o.Store.Queued()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, m := range queued {
		o.wake(m.From)
	}
	return nil
}

// wake starts number's lane or tells it there is more to send.
func (o *outbox) wake(number string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ctx == nil {
		return // not started: start() wakes every number with queued texts
	}
	ch, ok := o.lanes[number]
	if !ok {
		ch = make(chan struct{}, 1)
		o.lanes[number] = ch
		o.wg.Add(1)
		go o.lane(number, ch)
	}
	select {
	case ch <- struct{}{}:
	default:
	}
}

// interval is the time between two sends from one number.
func (o *outbox) interval() time.Duration {
	rate := o.s.o.Config().Twilio.RatePerNumber
	if rate <= 0 {
		rate = 1
	}
	return time.Duration(float64(time.Second) / rate)
}

// next is number's oldest queued text.
func (o *outbox) next(number string) (*Message, error) {
	queued, err := o.s.o.Store.Queued()
	if err != nil {
		return nil, err
	}
	for _, m := range queued {
		if m.From == number {
			return m, nil
		}
	}
	return nil, nil
}

func (o *outbox) lane(number string, wake chan struct{}) {
	defer o.wg.Done()
	ctx := o.ctx
	var last time.Time
	backoff := minRetry
	for {
		m, err := o.next(number)
		if err != nil {
			o.s.log.Error("outbox: store unreadable; retrying", "number", number, "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, maxRetry)
			continue
		}
		if m == nil {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				continue
			}
		}
		if wait := time.Until(last.Add(o.interval())); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		if err := o.s.send(ctx, m); err != nil {
			o.retried.Inc()
			o.s.log.Warn("text: carrier unreachable; retrying", "id", m.ID, "error", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, maxRetry)
			continue
		}
		backoff = minRetry
	}
}

// send hands one queued text to the carrier. It returns an error only
// when the text should be tried again.
func (s *Service) send(ctx context.Context, m *Message) error {
	m.Attempts++
	m.Updated = s.now()
	if err := s.o.Store.Update(m); err != nil {
		return err
	}
	if s.o.Meter != nil {
		// Queued texts hold no credit: check again now, so a long queue
		// cannot spend more than the balance.
		if _, err := s.o.Meter.Authorize(m.textRecord()); errors.Is(err, billing.ErrInsufficientCredit) {
			m.State, m.ErrorMessage, m.Updated = StateFailed, err.Error(), s.now()
			if err := s.o.Store.Update(m); err != nil {
				return err
			}
			s.log.Info("text not sent: credit", "id", m.ID, "error", err)
			s.notify(m)
			s.tellSender(m)
			return nil
		}
	}
	callback := ""
	if base := s.o.Config().Twilio.WebhookBaseURL; base != "" {
		callback = trimSlash(base) + StatusPath
	}
	acc, err := s.o.Carrier.Send(ctx, CarrierText{From: m.From, To: m.To, Body: m.Body, MediaURLs: m.MediaURLs, StatusCallback: callback})
	if ce, ok := permanent(err); ok {
		s.outbox.refused.Inc()
		m.State, m.ErrorCode, m.ErrorMessage, m.Updated = StateFailed, ce.Code, ce.Message, s.now()
		if ce.Code == twilioOptedOut {
			// The carrier knows of a STOP we did not see: remember it.
			_ = s.o.Store.SetOptOut(m.From, m.To, true)
		}
		if err := s.o.Store.Update(m); err != nil {
			return err
		}
		s.log.Info("text refused by the carrier", "id", m.ID, "code", ce.Code, "error", ce.Message)
		s.notify(m)
		s.tellSender(m)
		return nil
	}
	if err != nil {
		return err
	}
	s.outbox.sent.Inc()
	m.SID, m.Updated = acc.SID, s.now()
	if acc.Segments > 0 {
		m.Segments = acc.Segments
	}
	changed := acc.Status.rank() > m.State.rank()
	if changed {
		m.State = acc.Status
	}
	// The SID is stored before the charge is posted: a crash in between
	// leaves the text unposted, and Start posts it (keyed by the SID, so
	// never twice).
	if err := s.o.Store.Update(m); err != nil {
		return err
	}
	s.log.Info("text accepted by the carrier", "id", m.ID, "sid", m.SID, "segments", m.Segments)
	if s.o.AfterAccept != nil {
		s.o.AfterAccept(m)
	}
	s.postCharge(ctx, m)
	if changed {
		s.notify(m)
	}
	return nil
}

// twilioOptedOut is Twilio's "Attempt to send to unsubscribed recipient".
const twilioOptedOut = 21610

// postCharge posts a text's charge (idempotent by its SID) and marks it.
func (s *Service) postCharge(ctx context.Context, m *Message) {
	if s.o.Meter == nil || m.Kind == "" {
		m.Charged = true
		_ = s.o.Store.Update(m)
		return
	}
	c, err := s.o.Meter.Post(ctx, m.textRecord())
	if err != nil && !errors.Is(err, billing.ErrTextNotAllowed) {
		s.log.Error("text charge not posted; retried at restart", "id", m.ID, "sid", m.SID, "error", err)
		return
	}
	if c != nil {
		amount := c.Amount
		m.Charge = &amount
	}
	m.Charged = true
	if err := s.o.Store.Update(m); err != nil {
		s.log.Error("text charge posted but not marked", "id", m.ID, "error", err)
	}
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// outboxCollector reports the queued texts per sending number at scrape
// time, from the store (the queue's truth).
type outboxCollector struct {
	s    *Service
	desc *prometheus.Desc
}

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	queued, err := c.s.o.Store.Queued()
	if err != nil {
		return
	}
	per := map[string]int{}
	for _, m := range queued {
		per[m.From]++
	}
	for n, q := range per {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(q), n)
	}
}

// Collectors are the service's Prometheus metrics.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		s.outbox.sent, s.outbox.refused, s.outbox.retried,
		outboxCollector{s: s, desc: prometheus.NewDesc("dialtone_messages_outbox", "Texts queued to the carrier, by sending number.", []string{"number"}, nil)},
	}
}
