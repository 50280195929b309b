package media

import (
	"errors"
	"sync"
)

// pair is a bound RTP/RTCP socket pair of the range and the reactor that
// polls it. The pool keeps its own handles on the sockets (the legs send
// through handles of their own, see Leg.socks) and closes them.
type pair struct {
	port      int
	rtp, rtcp *socket
	reactor   *reactor
	// mu orders the changes of cur: a leg's detach and its Close (which
	// hands the pair to the pool) may race, as a transfer and a hang-up.
	mu sync.Mutex
	// cur is what the reactor runs for each socket: a leg's watch, one of
	// the pool's, or nil when the socket is not in its epoll set.
	cur [2]*watch
	// idle is nil until the pair first goes idle: a pool without idle
	// pairs spends nothing on it.
	idle *idleState
}

func newPair(port int, rtpSock, rtcpSock *socket, r *reactor) *pair {
	return &pair{port: port, rtp: rtpSock, rtcp: rtcpSock, reactor: r}
}

func (pr *pair) sockets() [2]*socket { return [2]*socket{pr.rtp, pr.rtcp} }

// set makes w what the reactor runs for socket i (0 RTP, 1 RTCP): a swap
// in place when the socket is in the epoll set, no system call; nil takes
// it out. Only the pair's owner (its leg, or the pool while it has no
// leg) calls it.
func (pr *pair) set(i int, w *watch) error {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.setLocked(i, w)
}

// unset takes socket i out of the reactor if w is still what runs for
// it: a leg's late detach must not take out the watch of the pool (or
// of the pair's next leg) that replaced its own.
func (pr *pair) unset(i int, w *watch) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.cur[i] == w {
		_ = pr.setLocked(i, nil)
	}
}

func (pr *pair) setLocked(i int, w *watch) error {
	s, old := pr.sockets()[i], pr.cur[i]
	switch {
	case old == w:
		return nil
	case old == nil:
		if err := pr.reactor.watch(s, w); err != nil {
			return err
		}
	case w == nil:
		pr.reactor.unwatch(s, old)
	default:
		pr.reactor.swap(s, old, w)
	}
	pr.cur[i] = w
	return nil
}

// close takes the pair's sockets from their reactor and closes them.
func (pr *pair) close() error {
	for i := range pr.cur {
		_ = pr.set(i, nil)
	}
	return errors.Join(pr.rtp.close(), pr.rtcp.close())
}
