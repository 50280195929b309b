package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// The call model of the issue: a dial reaches a person with probability P
// after a ring-to-answer delay lognormal(8 s, 4 s) clamped to 1–24 s;
// otherwise 55 % ring out at 25 s, 20 % are busy after 1–5 s, 25 % reach a
// machine (answer delay + 3 s of detection, perfect, no agent used).
const (
	ringMean       = 8 * time.Second
	ringSD         = 4 * time.Second
	ringMin        = 1 * time.Second
	ringMax        = 24 * time.Second
	ringOut        = 25 * time.Second
	shareRingOut   = 0.55
	shareBusy      = 0.20
	busyMin        = 1 * time.Second
	busyMax        = 5 * time.Second
	machineDetect  = 3 * time.Second
	abandonAfter   = 2 * time.Second
	decisionPeriod = 250 * time.Millisecond
)

type dialResult struct {
	kind  string // pacing.Outcome* kind
	after time.Duration
}

// lognormal draws from the lognormal with the given mean and standard deviation.
func lognormal(rng *rand.Rand, mean, sd time.Duration) time.Duration {
	m, s := mean.Seconds(), sd.Seconds()
	if s <= 0 {
		return mean
	}
	v := math.Log(1 + s*s/(m*m))
	mu := math.Log(m) - v/2
	return time.Duration(math.Exp(mu+math.Sqrt(v)*rng.NormFloat64()) * float64(time.Second))
}

func ringDelay(rng *rand.Rand) time.Duration {
	return min(max(lognormal(rng, ringMean, ringSD), ringMin), ringMax)
}

// dial draws a dial's fate given the probability that it reaches a person.
func dial(rng *rand.Rand, answerRate float64) dialResult {
	if rng.Float64() < answerRate {
		return dialResult{kind: "human", after: ringDelay(rng)}
	}
	switch u := rng.Float64(); {
	case u < shareRingOut:
		return dialResult{kind: "no-answer", after: ringOut}
	case u < shareRingOut+shareBusy:
		return dialResult{kind: "busy", after: busyMin + time.Duration(rng.Float64()*float64(busyMax-busyMin))}
	default:
		return dialResult{kind: "machine", after: ringDelay(rng) + machineDetect}
	}
}

// meanRingDelay is the mean of the clamped lognormal ring delay, integrated
// numerically.
func meanRingDelay() float64 {
	m, s := ringMean.Seconds(), ringSD.Seconds()
	v := math.Log(1 + s*s/(m*m))
	mu, sigma := math.Log(m)-v/2, math.Sqrt(v)
	lo, hi := ringMin.Seconds(), ringMax.Seconds()
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-(math.Log(x)-mu)/(sigma*math.Sqrt2)) }
	mean := lo*cdf(lo) + hi*(1-cdf(hi))
	const steps = 20000
	dx := (hi - lo) / steps
	for i := range steps {
		x := lo + (float64(i)+0.5)*dx
		pdf := math.Exp(-math.Pow(math.Log(x)-mu, 2)/(2*v)) / (x * sigma * math.Sqrt(2*math.Pi))
		mean += x * pdf * dx
	}
	return mean
}

// PowerUtilisation is the analytic utilisation of a power dialer (one line
// per free agent) in this model: talk ÷ (talk + wrap + expected time to a
// live answer), where a live answer takes a geometric number of attempts.
func PowerUtilisation(answerRate float64, talk, wrap time.Duration) float64 {
	ring := meanRingDelay()
	busy := (busyMin + busyMax).Seconds() / 2
	failed := shareRingOut*ringOut.Seconds() + shareBusy*busy + (1-shareRingOut-shareBusy)*(ring+machineDetect.Seconds())
	toLive := ((1-answerRate)*failed + answerRate*ring) / answerRate
	return talk.Seconds() / (talk.Seconds() + wrap.Seconds() + toLive)
}
