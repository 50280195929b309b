package dialer

import "github.com/dialtone/dialtone/dialer/pacing"

// Pacing makes a dialer/pacing pacer (pacing.NewPower, pacing.NewPredictive)
// the dialer's Pacer: the two contracts mirror each other field for field.
func Pacing(p pacing.Pacer) Pacer { return pacingPacer{p} }

type pacingPacer struct{ p pacing.Pacer }

func (a pacingPacer) Dials(s PaceState) int {
	st := pacing.State{Now: s.Now, Waiting: s.Waiting}
	for _, ag := range s.Agents {
		status := ag.Status
		if status == AgentJoining {
			status = pacing.StatusPaused // not on the line yet: takes no call
		}
		st.Agents = append(st.Agents, pacing.AgentState{ID: ag.ID, Status: status, Since: ag.Since})
	}
	for _, c := range s.InFlight {
		st.InFlight = append(st.InFlight, pacing.Call{DialedAt: c.DialedAt})
	}
	return a.p.Dials(st)
}

func (a pacingPacer) Observe(o PaceOutcome) {
	a.p.Observe(pacing.Outcome{At: o.At, Kind: o.Kind, RingDelay: o.RingDelay, Talk: o.Talk})
}

// Mode is the pacer's current mode (progressive when it cannot say).
func (a pacingPacer) Mode() pacing.Mode {
	if m, ok := a.p.(pacing.ModeReporter); ok {
		return m.Mode()
	}
	return pacing.ModeProgressive
}

// pacingMode is pacing.Mode, for pacers that report theirs.
type pacingMode = pacing.Mode
