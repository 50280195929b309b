package messaging

import (
	"context"
	"time"
)

// Event is a CRM webhook event.
type Event struct {
	ID   string    `json:"id"`   // stable across redeliveries: the CRM dedups by it
	Type string    `json:"type"` // message.status
	Time time.Time `json:"time"`
	Data *Message  `json:"data"`
}

// Notifier delivers CRM events at least once: Notify returns once the
// event is persisted, and delivery goes on across restarts (the switch
// hands the texts' events to its one webhook outbox, package webhook).
type Notifier interface {
	Notify(ctx context.Context, e Event) error
}
