package pacing

import (
	"math"
	"sync"
	"time"
)

// PredictiveConfig is a campaign's predictive pacing; zero fields take the
// defaults.
type PredictiveConfig struct {
	// Target is the abandon rate the pacing steers to (abandon_target, 2.5 %).
	Target float64
	// Limit is never crossed (abandon_limit, 3 %): near it the pacer falls
	// back to progressive until the window's rate is safely below.
	Limit float64
	// Ledger is the campaign's windowed abandon counts, recorded and persisted
	// by the dialer; the pacer only reads it. Nil: the pacer keeps its own,
	// rolling 30 days, fed by Observe (for tests and one-off runs).
	Ledger *AbandonLedger
	// MaxLinesPerAgent caps the lines in flight (max_lines_per_agent, 3).
	MaxLinesPerAgent int
	// WarmupAnswers: until this many persons answered, dial progressively
	// (20): the estimates need them.
	WarmupAnswers int
	// AbandonAfter is how long a person waits for an agent (2 s).
	AbandonAfter time.Duration
	// AnswerMemory is about how many recent dials the answer probability and
	// ring delays are learned from (600): short enough to follow a list that
	// decays over hours, long enough to be steady.
	AnswerMemory int
	// DurationMemory is about how many recent talks (and wrap-ups) their
	// distributions are learned from (300).
	DurationMemory int
}

func (c PredictiveConfig) withDefaults() PredictiveConfig {
	if c.Target <= 0 {
		c.Target = 0.025
	}
	if c.Limit <= 0 {
		c.Limit = 0.03
	}
	c.Target = min(c.Target, c.Limit)
	if c.MaxLinesPerAgent <= 0 {
		c.MaxLinesPerAgent = 3
	}
	if c.WarmupAnswers <= 0 {
		c.WarmupAnswers = 20
	}
	if c.AbandonAfter <= 0 {
		c.AbandonAfter = 2 * time.Second
	}
	if c.AnswerMemory <= 0 {
		c.AnswerMemory = 600
	}
	if c.DurationMemory <= 0 {
		c.DurationMemory = 300
	}
	return c
}

// The controller's threshold θ: a dial is placed when the forecast chance
// that its person finds no agent is at most θ. θ moves by stochastic
// approximation so that abandons ÷ persons settles on the target: up by
// gain·target for each person answered (abandoned or not), down by gain for
// each abandon. It starts low: the forecast leaves out the persons a dial
// pushes out of their agent, so the rate comes out above θ (θ ≈ 1–2 % gives
// ≈ 2.5 % in the simulator), and an abandon in the window cannot be taken
// back. The gain was chosen on the simulator's grid (0.03–0.3 tried).
const (
	thetaStart = 0.01
	thetaMin   = 0.002
	thetaMax   = 0.6
	thetaGain  = 0.08
)

// Predictive is the predictive pacer. It dials when its forecast of persons
// answering against agents coming free keeps the expected abandon rate at
// the target, and falls back to progressive during the warm-up and near the
// limit. Safe for concurrent use.
type Predictive struct {
	mu       sync.Mutex
	cfg      PredictiveConfig
	ledger   *AbandonLedger
	own      bool // the ledger is the pacer's own: Observe records into it
	outcomes *dialOutcomes
	talk     *durationFit
	wrap     *durationFit
	seen     map[string]AgentState // last status of each agent, to learn talk and wrap-up times
	lastSeen time.Time
	logTheta float64
	mode     Mode
	fallback bool // near the limit: progressive until safely below
	points   [forecastPoints]deficit
}

// NewPredictive returns a predictive pacer.
func NewPredictive(cfg PredictiveConfig) Pacer { return newPredictive(cfg) }

func newPredictive(cfg PredictiveConfig) *Predictive {
	cfg = cfg.withDefaults()
	p := &Predictive{
		cfg:      cfg,
		ledger:   cfg.Ledger,
		outcomes: newDialOutcomes(cfg.AnswerMemory),
		// Priors, used only until the first talks end (the warm-up lasts longer).
		talk:     newDurationFit(cfg.DurationMemory, 3*time.Minute, 3*time.Minute),
		wrap:     newDurationFit(cfg.DurationMemory, 15*time.Second, 5*time.Second),
		seen:     map[string]AgentState{},
		logTheta: math.Log(thetaStart),
		mode:     ModeProgressive,
	}
	if p.ledger == nil {
		p.ledger, _ = NewAbandonLedger(Window30Days, time.UTC)
		p.own = true
	}
	return p
}

// Mode reports how the last decision was taken.
func (p *Predictive) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Threshold is the controller's current θ (for stats and tests).
func (p *Predictive) Threshold() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return math.Exp(p.logTheta)
}

// Observe learns from an outcome.
func (p *Predictive) Observe(o Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch o.Kind {
	case OutcomeHuman:
		p.outcomes.observe(o.RingDelay, true)
		if p.own {
			p.ledger.RecordHuman(o.At)
		}
		if p.mode == ModePredictive {
			p.steer(p.cfg.Target)
		}
	case OutcomeMachine, OutcomeNoAnswer, OutcomeBusy, OutcomeFailed:
		age := o.RingDelay
		if age <= 0 { // unknown: count it as a long ring, the cautious side
			age = resolveBins * resolveBin * time.Second
		}
		p.outcomes.observe(age, false)
	case OutcomeAbandoned:
		if p.own {
			p.ledger.RecordAbandon(o.At)
		}
		// Always steer down, even if the dial was placed before a fallback.
		p.steer(-1)
	}
	if o.Talk > 0 {
		p.talk.observe(o.Talk)
	}
}

func (p *Predictive) steer(step float64) {
	p.logTheta = min(max(p.logTheta+thetaGain*step, math.Log(thetaMin)), math.Log(thetaMax))
}

// Dials decides how many leads to dial now.
func (p *Predictive) Dials(s State) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.learnFromAgents(s)
	free, active := freeAgents(s.Agents)
	room := p.cfg.MaxLinesPerAgent*active - len(s.InFlight) - s.Waiting
	if room <= 0 {
		return 0
	}
	if p.progressive(s) {
		p.mode = ModeProgressive
		return min(progressiveDials(s), room)
	}
	p.mode = ModePredictive
	return p.forecastDials(s, free, room)
}

// progressive reports whether to dial progressively: during the warm-up,
// and in the fallback, which begins when one more abandon (plus a margin for
// the calls in flight) would take the window's rate over the limit, and ends
// when that is safely below: half-way between the target and the limit.
func (p *Predictive) progressive(s State) bool {
	if p.outcomes.humans < p.cfg.WarmupAnswers {
		return true
	}
	humans, abandoned := p.ledger.Counts(s.Now)
	// The calls in flight may still bring abandons: a few per hundred at the
	// target, so large teams keep a larger reserve.
	reserve := 1 + 0.02*float64(len(s.InFlight))
	rate := (float64(abandoned) + reserve) / float64(max(humans, 1))
	if p.fallback {
		p.fallback = rate > (p.cfg.Target+p.cfg.Limit)/2
	} else {
		p.fallback = rate > p.cfg.Limit
	}
	return p.fallback
}

// learnFromAgents learns talk and wrap-up times from the agents' status
// changes: a status that ended lasted from its Since to the next one's.
func (p *Predictive) learnFromAgents(s State) {
	for _, a := range s.Agents {
		if a.Since.Before(p.lastSeen) {
			continue // unchanged since the last decision
		}
		prev, ok := p.seen[a.ID]
		if ok && prev.Status != a.Status && a.Since.After(prev.Since) {
			switch prev.Status {
			case StatusTalking:
				p.talk.observe(a.Since.Sub(prev.Since))
			case StatusWrapUp:
				p.wrap.observe(a.Since.Sub(prev.Since))
			}
		}
		p.seen[a.ID] = a
	}
	p.lastSeen = s.Now
}

// forecastDials places dials one by one while the forecast chance that the
// next one's person finds no agent stays within θ.
func (p *Predictive) forecastDials(s State, free, room int) int {
	o := p.outcomes
	o.rebuild()
	answer := o.answerProbability()
	if answer <= 0 {
		return min(progressiveDials(s), room)
	}
	abandonAfter := p.cfg.AbandonAfter.Seconds()
	wrapMean := p.wrap.mean
	var ring, horizon, candidate [forecastPoints]float64
	fresh, _ := o.at(0)
	for k, q := range forecastQuantiles {
		ring[k] = o.humanDelayQuantile(q)
		horizon[k] = ring[k] + abandonAfter
		candidate[k] = o.humanWithin(fresh, ring[k])
		p.points[k].reset(free - s.Waiting)
	}
	longest := horizon[forecastPoints-1]
	for _, a := range s.Agents {
		elapsed := s.Now.Sub(a.Since).Seconds()
		switch a.Status {
		case StatusWrapUp:
			left := p.wrap.survival(elapsed)
			if left < 1e-9 {
				continue // overdue: no forecast, count them busy
			}
			for k := range forecastPoints {
				p.points[k].addPlus(1 - p.wrap.survival(elapsed+horizon[k])/left)
			}
		case StatusTalking:
			// Free when the talk and then a wrap-up are over.
			if longest <= wrapMean {
				continue
			}
			left := p.talk.survival(elapsed)
			if left < 1e-9 {
				continue
			}
			for k := range forecastPoints {
				if horizon[k] > wrapMean {
					p.points[k].addPlus(1 - p.talk.survival(elapsed+horizon[k]-wrapMean)/left)
				}
			}
		}
	}
	var chance [forecastPoints]float64
	var last time.Time
	for i, c := range s.InFlight {
		// Dials placed together share their forecast.
		if i == 0 || !c.DialedAt.Equal(last) {
			last = c.DialedAt
			call, ok := o.at(s.Now.Sub(c.DialedAt).Seconds())
			for k := range forecastPoints {
				chance[k] = 0
				if ok {
					chance[k] = o.humanWithin(call, ring[k])
				}
			}
		}
		for k := range forecastPoints {
			p.points[k].addMinus(chance[k])
		}
	}
	for k := range forecastPoints {
		p.points[k].prepare(room)
	}
	theta := math.Exp(p.logTheta)
	n := 0
	for n < room {
		risk := 0.0
		for k := range forecastPoints {
			risk += p.points[k].noAgent()
		}
		risk /= float64(forecastPoints)
		if risk > theta {
			break
		}
		n++
		for k := range forecastPoints {
			p.points[k].addCandidate(candidate[k])
		}
	}
	return n
}
