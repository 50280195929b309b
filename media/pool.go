package media

import (
	crand "crypto/rand"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"
)

// Defaults for the options of NewPool.
const (
	// DefaultMediaTimeout is how long a leg may receive no RTP before its
	// TimedOut channel closes.
	DefaultMediaTimeout = 60 * time.Second
	// DefaultLatchWindow is how long after a leg starts, or after
	// SetRemote, a leg may re-latch to a new source address.
	DefaultLatchWindow = 2 * time.Second
)

// Pool hands out RTP/RTCP socket pairs from a UDP port range on one IP.
// Each Leg it allocates holds an even RTP port and the RTCP port above it;
// closing the Leg returns the pair. A Pool is safe for concurrent use.
type Pool struct {
	ip    netip.Addr
	first int // lowest even RTP port
	pairs int // number of pairs in the range
	// minPort and maxPort are the range as configured: every port of it
	// is the switch's own (see own.go), as are the addresses in own.
	minPort, maxPort int
	own              []netip.Addr

	mediaTimeout time.Duration
	latchWindow  time.Duration
	sockBuf      int
	log          *slog.Logger
	watchdog     watchdog // the media timeouts of the armed legs

	// WithIdlePairs, and the rules of reuse (idle.go; tests shorten them)
	maxIdle        int
	reuseAfter     time.Duration
	minReuseChoice int

	mu     sync.Mutex
	rand   *rand.Rand // ChaCha8 seeded from crypto/rand: ports nobody can predict
	free   []int      // RTP ports without sockets, oldest released first
	idle   []*pair    // bound pairs kept for reuse, oldest first (idle.go)
	inUse  map[int]*Leg
	closed Stats // the counters of legs already closed
	shut   bool  // Close was called
}

// PoolOption configures a Pool and the legs it allocates.
type PoolOption func(*Pool)

// WithMediaTimeout sets how long an armed leg may receive no RTP before
// it reports a media timeout (default DefaultMediaTimeout). Zero or a
// negative duration disables the timeout.
func WithMediaTimeout(d time.Duration) PoolOption {
	return func(p *Pool) { p.mediaTimeout = d }
}

// WithLatchWindow sets how long after a leg starts, or after SetRemote, a
// latched leg may move to a new source address (default
// DefaultLatchWindow). Outside the window, packets from any address but
// the latched one are dropped.
func WithLatchWindow(d time.Duration) PoolOption {
	return func(p *Pool) { p.latchWindow = d }
}

// WithSocketBuffer sets SO_RCVBUF and SO_SNDBUF of every socket the pool
// binds (default: the system's).
func WithSocketBuffer(bytes int) PoolOption {
	return func(p *Pool) { p.sockBuf = bytes }
}

// WithLogger sets the logger of the pool and its legs (default
// slog.Default). Nothing is logged per packet.
func WithLogger(l *slog.Logger) PoolOption {
	return func(p *Pool) { p.log = l }
}

// NewPool makes a pool of the RTP/RTCP port pairs in [minPort, maxPort] on
// ip. RTP ports are even and their RTCP port (RTP+1) must lie in the range
// too, so [10000, 10003] holds two pairs. The ip is where sockets bind; it
// may be unspecified (0.0.0.0), in which case the address written into SDP
// must come from configuration.
func NewPool(ip netip.Addr, minPort, maxPort int, opts ...PoolOption) (*Pool, error) {
	if !ip.IsValid() {
		return nil, fmt.Errorf("new pool: %w: no IP", ErrInvalidAddress)
	}
	first := minPort + minPort%2
	if minPort < 1 || maxPort > 65535 || first+1 > maxPort {
		return nil, fmt.Errorf("new pool [%d, %d]: %w", minPort, maxPort, ErrInvalidPortRange)
	}
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails (crypto/rand)
	p := &Pool{
		ip:             ip.Unmap(),
		first:          first,
		pairs:          (maxPort - first + 1) / 2,
		minPort:        minPort,
		maxPort:        maxPort,
		rand:           rand.New(rand.NewChaCha8(seed)),
		mediaTimeout:   DefaultMediaTimeout,
		latchWindow:    DefaultLatchWindow,
		reuseAfter:     reuseAfter,
		minReuseChoice: minReuseChoice,
		log:            slog.Default(),
		inUse:          map[int]*Leg{},
	}
	for _, o := range opts {
		o(p)
	}
	if p.ip.IsUnspecified() {
		p.addOwn(p.ip) // bound to every address: all of them are the switch's
	}
	p.maxIdle = min(max(p.maxIdle, 0), p.pairs)
	p.watchdog.period = watchPeriod(p.mediaTimeout)
	p.free = make([]int, 0, p.pairs)
	for i := range p.pairs {
		p.free = append(p.free, first+2*i)
	}
	return p, nil
}

// IP returns the address the pool's sockets bind to.
func (p *Pool) IP() netip.Addr { return p.ip }

// Size returns the number of port pairs in the range.
func (p *Pool) Size() int { return p.pairs }

// Available returns the number of port pairs not in use.
func (p *Pool) Available() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free) + len(p.idle)
}

// Allocate binds a free RTP/RTCP port pair picked at random and returns
// it as a Leg with no remote address yet. The pick is among the older half
// of the free pairs (in the order they were released), so a pair just
// freed is not reused while others wait (late packets of an ended call do
// not reach the next one), and nobody can guess the port a call will get
// from the ones before it. A port that some other program holds is
// skipped. Close the leg (or the Relay or Endpoint that owns it) to
// return its ports. A pool WithIdlePairs hands out a kept pair instead
// when enough of them have waited long enough (idle.go).
func (p *Pool) Allocate() (*Leg, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shut {
		return nil, fmt.Errorf("allocate rtp ports on %s: %w", p.ip, ErrClosed)
	}
	if pr := p.takeIdle(time.Now(), false); pr != nil {
		return p.lend(pr), nil
	}
	var lastErr error
	for range len(p.free) {
		port := p.takeRandom()
		rtpSock, rtcpSock, err := p.bind(port)
		if err != nil {
			lastErr = err
			p.free = append(p.free, port)
			continue
		}
		r, err := pickReactor()
		if err != nil {
			_ = rtpSock.close()
			_ = rtcpSock.close()
			p.free = append(p.free, port)
			return nil, fmt.Errorf("allocate rtp ports on %s: %w", p.ip, err)
		}
		return p.lend(newPair(port, rtpSock, rtcpSock, r)), nil
	}
	if pr := p.takeIdle(time.Now(), true); pr != nil {
		return p.lend(pr), nil
	}
	if lastErr != nil {
		return nil, fmt.Errorf("allocate rtp ports on %s: %w (last bind error: %w)", p.ip, ErrPoolExhausted, lastErr)
	}
	return nil, fmt.Errorf("allocate rtp ports on %s: %w", p.ip, ErrPoolExhausted)
}

// lend makes a leg of pair pr, in use until the leg closes. The caller
// holds p.mu.
func (p *Pool) lend(pr *pair) *Leg {
	l := newLeg(p, pr)
	p.inUse[pr.port] = l
	return l
}

// takeRandom removes a random pair from the older half of the free list
// and returns its RTP port: O(1), swapping the pick with the head. The
// caller holds p.mu and has checked that the list is not empty.
func (p *Pool) takeRandom() int {
	i := p.rand.IntN(max(len(p.free)/2, 1))
	p.free[0], p.free[i] = p.free[i], p.free[0]
	port := p.free[0]
	p.free = p.free[1:]
	return port
}

func (p *Pool) bind(port int) (rtpSock, rtcpSock *socket, err error) {
	rtpSock, err = openSocket(netip.AddrPortFrom(p.ip, uint16(port)), p.sockBuf)
	if err != nil {
		return nil, nil, fmt.Errorf("bind rtp port %d: %w", port, err)
	}
	rtcpSock, err = openSocket(netip.AddrPortFrom(p.ip, uint16(port+1)), p.sockBuf)
	if err != nil {
		_ = rtpSock.close()
		return nil, nil, fmt.Errorf("bind rtcp port %d: %w", port+1, err)
	}
	return rtpSock, rtcpSock, nil
}

// InUse returns the number of legs allocated and not yet closed.
func (p *Pool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inUse)
}

// Stats returns the counters of every leg the pool allocated, open or
// closed, added up: monotonic totals for /metrics.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := p.closed
	for _, l := range p.inUse {
		total = total.add(l.Stats())
	}
	return total
}
