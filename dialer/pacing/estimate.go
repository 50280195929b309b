package pacing

import (
	"math"
	"time"
)

// resolveBin is the resolution of the ring-age histograms; resolveBins of
// them cover the longest ring anyone configures (a later outcome lands in
// the last bin).
const (
	resolveBin  = 0.5 // seconds
	resolveBins = 160 // 80 s
)

// dialOutcomes learns, from the dials that resolved recently, when a dial
// leaves the in-flight set and whether it is a person then. It is a pair of
// histograms by ring age with exponential forgetting (memory of about
// `memory` dials), so a list whose answer rate decays is followed while the
// shape of the ring delays stays well estimated.
type dialOutcomes struct {
	memory float64
	weight float64 // the weight of the next observation (grows instead of decaying the others)
	human  [resolveBins]float64
	other  [resolveBins]float64
	// cumulative sums, rebuilt lazily: cumHuman[i] = human[0..i-1], same for all.
	cumHuman [resolveBins + 1]float64
	cumAll   [resolveBins + 1]float64
	dirty    bool
	humans   int // persons seen (for the warm-up)
}

func newDialOutcomes(memory int) *dialOutcomes {
	return &dialOutcomes{memory: float64(memory), weight: 1}
}

func (d *dialOutcomes) observe(age time.Duration, human bool) {
	bin := int(age.Seconds() / resolveBin)
	bin = min(max(bin, 0), resolveBins-1)
	if human {
		d.human[bin] += d.weight
		d.humans++
	} else {
		d.other[bin] += d.weight
	}
	d.weight /= 1 - 1/d.memory
	if d.weight > 1e100 {
		for i := range d.human {
			d.human[i] /= d.weight
			d.other[i] /= d.weight
		}
		d.weight = 1
	}
	d.dirty = true
}

func (d *dialOutcomes) rebuild() {
	if !d.dirty {
		return
	}
	for i := range resolveBins {
		d.cumHuman[i+1] = d.cumHuman[i] + d.human[i]
		d.cumAll[i+1] = d.cumAll[i] + d.human[i] + d.other[i]
	}
	d.dirty = false
}

// at interpolates a cumulative array at ring age x seconds.
func cumAt(c *[resolveBins + 1]float64, x float64) float64 {
	f := x / resolveBin
	if f <= 0 {
		return 0
	}
	if f >= resolveBins {
		return c[resolveBins]
	}
	i := int(f)
	return c[i] + (c[i+1]-c[i])*(f-float64(i))
}

// answerProbability is the share of dials that reach a person.
func (d *dialOutcomes) answerProbability() float64 {
	d.rebuild()
	if d.cumAll[resolveBins] == 0 {
		return 0
	}
	return d.cumHuman[resolveBins] / d.cumAll[resolveBins]
}

// inFlight is a dial still in flight at ring age a, for humanWithin.
type inFlight struct {
	age, humansBefore, left float64
}

// at conditions the learned outcomes on a dial still in flight at ring age a
// (seconds); ok is false when no person ever answered that late. Call
// rebuild first.
func (d *dialOutcomes) at(a float64) (c inFlight, ok bool) {
	c = inFlight{age: a, humansBefore: cumAt(&d.cumHuman, a), left: d.cumAll[resolveBins] - cumAt(&d.cumAll, a)}
	return c, c.left > 0 && c.humansBefore < d.cumHuman[resolveBins]
}

// humanWithin is the probability that the dial c is answered by a person
// within u more seconds.
func (d *dialOutcomes) humanWithin(c inFlight, u float64) float64 {
	p := (cumAt(&d.cumHuman, c.age+u) - c.humansBefore) / c.left
	return min(max(p, 0), 1)
}

// humanDelayQuantile is the ring delay below which a share q of the persons
// answer. Call rebuild first.
func (d *dialOutcomes) humanDelayQuantile(q float64) float64 {
	total := d.cumHuman[resolveBins]
	want := q * total
	for i := range resolveBins {
		if d.cumHuman[i+1] >= want {
			span := d.cumHuman[i+1] - d.cumHuman[i]
			frac := 0.5
			if span > 0 {
				frac = (want - d.cumHuman[i]) / span
			}
			return (float64(i) + frac) * resolveBin
		}
	}
	return resolveBins * resolveBin
}

// durationFit learns a duration distribution (talk time, wrap-up time) as a
// lognormal by exponentially weighted moments of the log: call durations are
// close to lognormal, and two numbers are enough to forecast who comes free
// next. Survival is tabulated per second for speed.
type durationFit struct {
	memory   float64
	n        int
	mu, vari float64 // of ln(seconds)
	mean     float64 // of seconds, for the wrap-up's fixed part
	table    []float64
	stale    int
}

const survivalTableSeconds = 3600

func newDurationFit(memory int, priorMean, priorSD time.Duration) *durationFit {
	f := &durationFit{memory: float64(memory)}
	m, s := priorMean.Seconds(), priorSD.Seconds()
	f.vari = math.Log(1 + s*s/(m*m))
	f.mu = math.Log(m) - f.vari/2
	f.mean = m
	f.stale = 1
	return f
}

func (f *durationFit) observe(d time.Duration) {
	x := math.Log(max(d.Seconds(), 0.1))
	f.n++
	alpha := max(1/float64(f.n), 1/f.memory)
	if f.n == 1 {
		f.mu, f.vari, f.mean = x, 0, d.Seconds()
	} else {
		delta := x - f.mu
		f.mu += alpha * delta
		f.vari = (1 - alpha) * (f.vari + alpha*delta*delta)
		f.mean += alpha * (d.Seconds() - f.mean)
	}
	f.stale++
}

// survival is P(duration > x seconds).
func (f *durationFit) survival(x float64) float64 {
	if x <= 0 {
		return 1
	}
	// Re-tabulate after some observations: the fit moves slowly once it has
	// a few dozen.
	if f.table == nil || f.stale >= 64 || (f.n < 64 && f.stale >= 8) {
		f.tabulate()
	}
	if x >= survivalTableSeconds-1 {
		return f.survivalExact(x)
	}
	i := int(x)
	return f.table[i] + (f.table[i+1]-f.table[i])*(x-float64(i))
}

func (f *durationFit) survivalExact(x float64) float64 {
	sd := math.Sqrt(max(f.vari, 1e-6))
	return 0.5 * math.Erfc((math.Log(x)-f.mu)/(sd*math.Sqrt2))
}

func (f *durationFit) tabulate() {
	if f.table == nil {
		f.table = make([]float64, survivalTableSeconds+1)
	}
	f.table[0] = 1
	for i := 1; i <= survivalTableSeconds; i++ {
		f.table[i] = f.survivalExact(float64(i))
	}
	f.stale = 0
}
