package dialer

import (
	"errors"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/dialer/pacing"
)

// Predictive is a predictive campaign's settings (empty for power).
type Predictive struct {
	AbandonTarget    float64  `json:"abandon_target,omitempty"`
	AbandonLimit     float64  `json:"abandon_limit,omitempty"`
	AbandonWindow    string   `json:"abandon_window,omitempty"`
	AbandonLockout   Duration `json:"abandon_lockout,omitzero"`
	MaxLinesPerAgent int      `json:"max_lines_per_agent,omitempty"`
	AMD              string   `json:"amd,omitempty"`
	AbandonMessage   string   `json:"abandon_message,omitempty"`
	AbandonFrom      string   `json:"abandon_from,omitempty"`
}

// PredictiveRequest is the predictive settings of POST /v1/campaigns.
type PredictiveRequest struct {
	AbandonTarget    *float64  `json:"abandon_target"`
	AbandonLimit     *float64  `json:"abandon_limit"`
	AbandonWindow    string    `json:"abandon_window"`
	AbandonLockout   *Duration `json:"abandon_lockout"`
	MaxLinesPerAgent *int      `json:"max_lines_per_agent"`
	AMD              string    `json:"amd"`
	AbandonMessage   string    `json:"abandon_message"`
	AbandonFrom      string    `json:"abandon_from"`
}

// AMD modes: what answering-machine detection does with a machine.
const (
	AMDOff    = "off"    // no detection: every answer is a person
	AMDHangup = "hangup" // hang up on machines (outcome machine)
	AMDDrop   = "drop"   // wait for the beep, play voicemail_drop (vm-left)
	AMDAgent  = "agent"  // detect, but give machines to an agent too
)

// abandon_from: when the 2 s an answered person may wait start.
const (
	AbandonFromAnswer      = "answer"
	AbandonFromGreetingEnd = "greeting-end"
)

// Defaults of the predictive settings.
const (
	DefaultAbandonTarget    = 0.025
	DefaultAbandonLimit     = 0.03
	DefaultMaxLinesPerAgent = 3
	// AbandonAfter is how long a person who answered may wait for an agent
	// before the call counts as abandoned (FTC TSR: 2 s).
	AbandonAfter = 2 * time.Second
	// OptOutWait is how long after the abandon message the dialer waits
	// for the 9 that puts the number on the do-not-call list.
	OptOutWait = 5 * time.Second
)

// predictiveOf validates a request's predictive settings into c; a power
// campaign may not have any.
func (d *Dialer) predictiveOf(c *Campaign, req PredictiveRequest) error {
	if c.Mode != ModePredictive {
		if req != (PredictiveRequest{}) {
			return errors.New("abandon_*, max_lines_per_agent, amd: for mode predictive only")
		}
		return nil
	}
	p := Predictive{AbandonTarget: DefaultAbandonTarget, AbandonLimit: DefaultAbandonLimit, AbandonWindow: string(pacing.Window30Days),
		AbandonLockout: Duration{Duration: pacing.DefaultAbandonLockout}, MaxLinesPerAgent: DefaultMaxLinesPerAgent,
		AMD: AMDOff, AbandonMessage: req.AbandonMessage, AbandonFrom: AbandonFromAnswer}
	if req.AbandonTarget != nil {
		p.AbandonTarget = *req.AbandonTarget
	}
	if req.AbandonLimit != nil {
		p.AbandonLimit = *req.AbandonLimit
	}
	if p.AbandonLimit <= 0 || p.AbandonLimit > DefaultAbandonLimit {
		return fmt.Errorf("abandon_limit %g: above 0, at most %g (3 %%)", p.AbandonLimit, DefaultAbandonLimit)
	}
	if p.AbandonTarget <= 0 || p.AbandonTarget > p.AbandonLimit {
		return fmt.Errorf("abandon_target %g: above 0, at most abandon_limit %g", p.AbandonTarget, p.AbandonLimit)
	}
	if req.AbandonWindow != "" {
		w, err := pacing.ParseWindow(req.AbandonWindow)
		if err != nil {
			return fmt.Errorf("abandon_window: %v", err)
		}
		p.AbandonWindow = string(w)
	}
	if req.AbandonLockout != nil {
		p.AbandonLockout = *req.AbandonLockout
	}
	if p.AbandonLockout.Duration < 0 {
		return errors.New("abandon_lockout: not negative")
	}
	if req.MaxLinesPerAgent != nil {
		p.MaxLinesPerAgent = *req.MaxLinesPerAgent
	}
	if p.MaxLinesPerAgent < 1 || p.MaxLinesPerAgent > 10 {
		return fmt.Errorf("max_lines_per_agent %d: from 1 to 10", p.MaxLinesPerAgent)
	}
	switch req.AMD {
	case "":
	case AMDOff, AMDHangup, AMDDrop, AMDAgent:
		p.AMD = req.AMD
	default:
		return fmt.Errorf("amd %q: off, hangup, drop or agent", req.AMD)
	}
	if p.AMD == AMDDrop && c.VoicemailDrop == "" {
		return errors.New("amd drop: needs a voicemail_drop to play")
	}
	switch req.AbandonFrom {
	case "":
	case AbandonFromAnswer, AbandonFromGreetingEnd:
		p.AbandonFrom = req.AbandonFrom
	default:
		return fmt.Errorf("abandon_from %q: answer or greeting-end", req.AbandonFrom)
	}
	if p.AbandonFrom == AbandonFromGreetingEnd && p.AMD == AMDOff {
		return errors.New("abandon_from greeting-end: needs amd to find the greeting's end")
	}
	if p.AbandonMessage == "" {
		return errors.New("abandon_message: a predictive campaign must play a message to a person it cannot connect (FTC TSR)")
	}
	if d.opts.LoadAudio == nil {
		return errors.New("abandon_message: this switch cannot play messages")
	}
	if _, err := d.opts.LoadAudio(p.AbandonMessage); err != nil {
		return fmt.Errorf("abandon_message: %v", err)
	}
	c.Predictive = p
	return nil
}
