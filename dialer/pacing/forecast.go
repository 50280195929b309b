package pacing

import "math"

// The forecast of one dial placed now: it is answered by a person at a ring
// delay r (taken at a few quantiles of the learned delay) and is abandoned if,
// by r + the abandon delay, fewer agents have come free than persons answered
// before it. D = free agents by then − persons ahead of it is a sum of
// independent ±1 Bernoulli terms (each busy agent by its time in state, each
// call in flight by its ring age, each other dial placed now); the dial is
// abandoned when D ≤ 0.

// quantiles of the ring delay the forecast looks at, equally weighted.
var forecastQuantiles = [...]float64{0.1, 0.3, 0.5, 0.7, 0.9}

const forecastPoints = len(forecastQuantiles)

// exactItems: up to this many uncertain terms the distribution of D is
// computed exactly; beyond, a normal approximation is close enough (and the
// controller corrects what bias is left).
const exactItems = 48

// deficit is the distribution of D at one forecast point.
type deficit struct {
	base   int       // certain part: free agents now − persons waiting
	plus   []float64 // probabilities of agents coming free in time
	minus  []float64 // probabilities of persons answering ahead
	mean   float64
	vari   float64
	exact  bool
	lo     int // value of dist[0]
	dist   []float64
	from   int // dist is zero outside [from, to]
	to     int
	queued int // candidate dials added so far (exact mode adds them to dist)
}

func (d *deficit) reset(base int) {
	d.base = base
	d.plus = d.plus[:0]
	d.minus = d.minus[:0]
	d.mean, d.vari = float64(base), 0
	d.queued = 0
}

func (d *deficit) addPlus(p float64) {
	if p <= 1e-9 {
		return
	}
	if p >= 1-1e-9 {
		d.base++
		d.mean++
		return
	}
	d.plus = append(d.plus, p)
	d.mean += p
	d.vari += p * (1 - p)
}

func (d *deficit) addMinus(p float64) {
	if p <= 1e-9 {
		return
	}
	if p >= 1-1e-9 {
		d.base--
		d.mean--
		return
	}
	d.minus = append(d.minus, p)
	d.mean -= p
	d.vari += p * (1 - p)
}

// prepare builds the exact distribution when it is small enough; room is the
// number of candidate dials that may be added after.
func (d *deficit) prepare(room int) {
	d.exact = len(d.plus)+len(d.minus) <= exactItems
	if !d.exact {
		return
	}
	d.lo = d.base - len(d.minus) - room
	size := len(d.plus) + len(d.minus) + room + 1
	if cap(d.dist) < size {
		d.dist = make([]float64, size)
	}
	d.dist = d.dist[:size]
	clear(d.dist)
	d.from = d.base - d.lo
	d.to = d.from
	d.dist[d.from] = 1
	for _, p := range d.plus {
		d.convolve(p, +1)
	}
	for _, p := range d.minus {
		d.convolve(p, -1)
	}
}

// convolve adds a ±1 Bernoulli(p) term, in place over the support, which
// grows by one (tails below 1e-15 are dropped).
func (d *deficit) convolve(p float64, step int) {
	q := 1 - p
	if step > 0 {
		d.to++
		for i := d.to; i > d.from; i-- {
			d.dist[i] = d.dist[i]*q + d.dist[i-1]*p
		}
		d.dist[d.from] *= q
	} else {
		d.from--
		for i := d.from; i < d.to; i++ {
			d.dist[i] = d.dist[i]*q + d.dist[i+1]*p
		}
		d.dist[d.to] *= q
	}
	for d.to > d.from && d.dist[d.to] < 1e-15 {
		d.dist[d.to] = 0
		d.to--
	}
	for d.from < d.to && d.dist[d.from] < 1e-15 {
		d.dist[d.from] = 0
		d.from++
	}
}

// addCandidate counts one more dial placed now, answered by a person ahead
// of the next candidate with probability p.
func (d *deficit) addCandidate(p float64) {
	d.queued++
	d.mean -= p
	d.vari += p * (1 - p)
	if d.exact {
		d.convolve(p, -1)
	}
}

// noAgent is P(D ≤ 0).
func (d *deficit) noAgent() float64 {
	if d.exact {
		s := 0.0
		for i := d.from; i <= d.to && i+d.lo <= 0; i++ {
			s += d.dist[i]
		}
		return min(s, 1)
	}
	if d.vari < 1e-12 {
		if d.mean <= 0.5 {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc(-(0.5-d.mean)/math.Sqrt(2*d.vari))
}
