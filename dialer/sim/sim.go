package sim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/dialtone/dialtone/dialer/pacing"
)

// Config is one simulated campaign.
type Config struct {
	Agents        int
	AnswerRate    float64 // probability that a dial reaches a person at the start
	AnswerRateEnd float64 // at the end (linear in between); 0: constant
	TalkMean      time.Duration
	TalkSD        time.Duration
	Wrap          time.Duration
	Hours         float64
	Mode          string  // "power" or "predictive"
	Target        float64 // abandon target of the predictive pacer
	Limit         float64 // abandon limit (0: 3 %)
}

// Validate reports the first unusable field.
func (c Config) Validate() error {
	switch {
	case c.Agents <= 0:
		return fmt.Errorf("agents %d: want at least 1", c.Agents)
	case c.AnswerRate <= 0 || c.AnswerRate > 1:
		return fmt.Errorf("answer rate %v: want (0, 1]", c.AnswerRate)
	case c.AnswerRateEnd < 0 || c.AnswerRateEnd > 1:
		return fmt.Errorf("answer rate at the end %v: want (0, 1]", c.AnswerRateEnd)
	case c.TalkMean <= 0 || c.TalkSD < 0 || c.Wrap < 0:
		return fmt.Errorf("talk mean %v, sd %v, wrap %v: want positive", c.TalkMean, c.TalkSD, c.Wrap)
	case c.Hours <= 0:
		return fmt.Errorf("hours %v: want positive", c.Hours)
	case c.Mode != "power" && c.Mode != "predictive":
		return fmt.Errorf("mode %q: want power or predictive", c.Mode)
	case c.Target < 0 || c.Target >= 1:
		return fmt.Errorf("target %v: want [0, 1)", c.Target)
	}
	return nil
}

// SeedResult is one run's figures.
type SeedResult struct {
	Seed                  uint64  `json:"seed"`
	Utilisation           float64 `json:"utilisation"`
	AbandonRate           float64 `json:"abandon_rate"`
	ConnectsPerAgentHour  float64 `json:"connects_per_agent_hour"`
	DialsPerAgentHour     float64 `json:"dials_per_agent_hour"`
	Worst15MinAbandonRate float64 `json:"worst_15min_abandon_rate"`
}

// Report is the runs of one campaign over several seeds; the top-level
// figures are means over the seeds, except the worst seed's abandon rate.
type Report struct {
	Mode                 string       `json:"mode"`
	Agents               int          `json:"agents"`
	Seeds                []SeedResult `json:"seeds"`
	Utilisation          float64      `json:"utilisation"`
	AbandonRate          float64      `json:"abandon_rate"`
	AbandonRateMaxSeed   float64      `json:"abandon_rate_max_seed"`
	ConnectsPerAgentHour float64      `json:"connects_per_agent_hour"`
}

// RunSeeds runs the campaign once per seed, in parallel.
func RunSeeds(cfg Config, seeds []uint64) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	rep := Report{Mode: cfg.Mode, Agents: cfg.Agents, Seeds: make([]SeedResult, len(seeds))}
	var wg sync.WaitGroup
	for i, seed := range seeds {
		wg.Go(func() { rep.Seeds[i] = Run(cfg, seed) })
	}
	wg.Wait()
	for _, r := range rep.Seeds {
		rep.Utilisation += r.Utilisation / float64(len(seeds))
		rep.AbandonRate += r.AbandonRate / float64(len(seeds))
		rep.ConnectsPerAgentHour += r.ConnectsPerAgentHour / float64(len(seeds))
		rep.AbandonRateMaxSeed = max(rep.AbandonRateMaxSeed, r.AbandonRate)
	}
	return rep, nil
}

// epoch is the simulated clock's origin (any fixed instant: runs are
// deterministic).
var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// waiter is a person who answered and waits for an agent.
type waiter struct {
	call     int
	answered time.Duration
	done     bool // served or abandoned
}

// run is one simulated campaign.
type run struct {
	cfg    Config
	rng    *rand.Rand
	pacer  pacing.Pacer
	ledger *pacing.AbandonLedger
	end    time.Duration
	now    time.Duration
	queue  eventQueue

	agents []pacing.AgentState
	ready  []int // indices of ready agents

	inFlight []pacing.Call
	flightID []int // call id at each inFlight position
	position []int // inFlight position of each call id (-1: resolved)
	results  []dialResult

	waiting []waiter // FIFO from head
	waitPos []int    // waiting index of each call id (for abandons)
	head    int

	talkTime time.Duration
	dials    int
	humans   int
	abandons int
	connects int
	buckets  map[int64][2]int // 15-minute bucket → humans, abandons
	decided  time.Duration    // when the pacer last decided
	// longestWait is the longest a served person waited for an agent.
	longestWait time.Duration
}

// Run simulates one campaign with one seed.
func Run(cfg Config, seed uint64) SeedResult {
	ledger, _ := pacing.NewAbandonLedger(pacing.Window30Days, time.UTC)
	var pacer pacing.Pacer = pacing.NewPower()
	if cfg.Mode == "predictive" {
		pacer = pacing.NewPredictive(pacing.PredictiveConfig{Target: cfg.Target, Limit: cfg.Limit, Ledger: ledger})
	}
	r := newRun(cfg, seed, pacer, ledger)
	r.play()
	return r.result(seed)
}

// newRun sets up a campaign driven by pacer; the run records persons and
// abandons in ledger, as the dialer does.
func newRun(cfg Config, seed uint64, pacer pacing.Pacer, ledger *pacing.AbandonLedger) *run {
	r := &run{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		pacer:   pacer,
		ledger:  ledger,
		end:     time.Duration(cfg.Hours * float64(time.Hour)),
		buckets: map[int64][2]int{},
	}
	for i := range cfg.Agents {
		r.agents = append(r.agents, pacing.AgentState{ID: "agent-" + strconv.Itoa(i+1), Status: pacing.StatusReady, Since: epoch})
		r.ready = append(r.ready, i)
	}
	return r
}

// play runs the events until the end of the campaign.
func (r *run) play() {
	r.queue.push(event{at: 0, kind: evTick})
	for r.queue.len() > 0 {
		e := r.queue.pop()
		if e.at >= r.end {
			break
		}
		r.now = e.at
		if r.handle(e) {
			r.decide()
		}
	}
}

func (r *run) clock() time.Time { return epoch.Add(r.now) }

// handle plays an event and reports whether the pacer should decide now: on
// every agent or call event, and on the clock when nothing else happened
// for a decision period.
func (r *run) handle(e event) bool {
	switch e.kind {
	case evTick:
		r.queue.push(event{at: r.now + decisionPeriod, kind: evTick})
		return r.now-r.decided >= decisionPeriod
	case evResolve:
		r.resolve(e.id)
	case evAbandon:
		w := &r.waiting[r.waitPos[e.id]]
		if !w.done {
			w.done = true
			r.abandons++
			r.bucket(w.answered, 0, 1)
			r.ledger.RecordAbandon(epoch.Add(w.answered))
			r.pacer.Observe(pacing.Outcome{At: r.clock(), Kind: pacing.OutcomeAbandoned})
			return true
		}
		return false // the person was served: nothing happened
	case evTalkEnd:
		r.setStatus(e.id, pacing.StatusWrapUp)
		r.queue.push(event{at: r.now + r.cfg.Wrap, kind: evWrapEnd, id: e.id})
	case evWrapEnd:
		r.setStatus(e.id, pacing.StatusReady)
		r.ready = append(r.ready, e.id)
		r.serveWaiting()
	}
	return true
}

func (r *run) setStatus(agent int, status string) {
	r.agents[agent].Status = status
	r.agents[agent].Since = r.clock()
}

// resolve takes a call out of flight: a person is connected to a ready agent
// or waits; anything else just ends.
func (r *run) resolve(call int) {
	pos := r.position[call]
	last := len(r.inFlight) - 1
	r.inFlight[pos], r.flightID[pos] = r.inFlight[last], r.flightID[last]
	r.position[r.flightID[pos]] = pos
	r.inFlight, r.flightID = r.inFlight[:last], r.flightID[:last]
	r.position[call] = -1

	res := r.results[call]
	r.pacer.Observe(pacing.Outcome{At: r.clock(), Kind: res.kind, RingDelay: res.after})
	if res.kind != pacing.OutcomeHuman {
		return
	}
	r.humans++
	r.bucket(r.now, 1, 0)
	r.ledger.RecordHuman(r.clock())
	for len(r.waitPos) <= call {
		r.waitPos = append(r.waitPos, 0)
	}
	r.waitPos[call] = len(r.waiting)
	r.waiting = append(r.waiting, waiter{call: call, answered: r.now})
	r.queue.push(event{at: r.now + abandonAfter, kind: evAbandon, id: call})
	r.serveWaiting()
}

// serveWaiting connects waiting persons, first come first served, to ready agents.
func (r *run) serveWaiting() {
	for len(r.ready) > 0 && r.head < len(r.waiting) {
		w := &r.waiting[r.head]
		r.head++
		if w.done {
			continue
		}
		w.done = true
		r.longestWait = max(r.longestWait, r.now-w.answered)
		agent := r.ready[len(r.ready)-1]
		r.ready = r.ready[:len(r.ready)-1]
		r.connects++
		r.pacer.Observe(pacing.Outcome{At: r.clock(), Kind: pacing.OutcomeAgentConnected})
		r.setStatus(agent, pacing.StatusTalking)
		talk := lognormal(r.rng, r.cfg.TalkMean, r.cfg.TalkSD)
		r.talkTime += min(talk, r.end-r.now)
		r.queue.push(event{at: r.now + talk, kind: evTalkEnd, id: agent})
	}
}

// decide asks the pacer and places the dials it wants.
func (r *run) decide() {
	for r.head < len(r.waiting) && r.waiting[r.head].done {
		r.head++
	}
	waiting := 0
	for _, w := range r.waiting[r.head:] {
		if !w.done {
			waiting++
		}
	}
	r.decided = r.now
	n := r.pacer.Dials(pacing.State{Now: r.clock(), Agents: r.agents, InFlight: r.inFlight, Waiting: waiting})
	rate := r.answerRate()
	for range n {
		call := len(r.results)
		res := dial(r.rng, rate)
		r.results = append(r.results, res)
		r.position = append(r.position, len(r.inFlight))
		r.inFlight = append(r.inFlight, pacing.Call{DialedAt: r.clock()})
		r.flightID = append(r.flightID, call)
		r.dials++
		r.queue.push(event{at: r.now + res.after, kind: evResolve, id: call})
	}
}

func (r *run) answerRate() float64 {
	if r.cfg.AnswerRateEnd <= 0 {
		return r.cfg.AnswerRate
	}
	f := float64(r.now) / float64(r.end)
	return r.cfg.AnswerRate + (r.cfg.AnswerRateEnd-r.cfg.AnswerRate)*f
}

func (r *run) bucket(at time.Duration, humans, abandons int) {
	k := int64(at / (15 * time.Minute))
	b := r.buckets[k]
	b[0] += humans
	b[1] += abandons
	r.buckets[k] = b
}

func (r *run) result(seed uint64) SeedResult {
	agentHours := float64(r.cfg.Agents) * r.cfg.Hours
	res := SeedResult{
		Seed:                 seed,
		Utilisation:          r.talkTime.Hours() / agentHours,
		ConnectsPerAgentHour: float64(r.connects) / agentHours,
		DialsPerAgentHour:    float64(r.dials) / agentHours,
	}
	if r.humans > 0 {
		res.AbandonRate = float64(r.abandons) / float64(r.humans)
	}
	for _, b := range r.buckets {
		if b[0] > 0 {
			res.Worst15MinAbandonRate = max(res.Worst15MinAbandonRate, float64(b[1])/float64(b[0]))
		}
	}
	return res
}
