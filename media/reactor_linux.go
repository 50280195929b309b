package media

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// A reactor reads the sockets of many legs with one goroutine: its epoll
// set holds the sockets (level-triggered), and the epoll descriptor
// itself is registered with the Go runtime's poller, so the goroutine
// parks like any other reader when nothing is ready, without holding an
// OS thread. Each wake-up reads whatever sockets are ready in one batch;
// a socket's packets are read with one recvmmsg, so a relay that fell
// behind catches up with one system call per socket, not per packet.
//
// Why not a goroutine per socket, which Go makes easy: at 100,000
// packets a second every packet then costs a goroutine wake-up, a
// scheduler pass and an extra read that finds the socket empty; a
// reactor pays for the wake-up once per batch, and the packets of a busy
// switch arrive in batches.
//
// There is one reactor per CPU (GOMAXPROCS at first use); a leg's two
// sockets are watched by the same reactor, and legs are spread over the
// reactors round-robin.
type reactor struct {
	epfd   int
	poller *os.File        // epfd, as the runtime poller sees it
	raw    syscall.RawConn // of poller

	// mu is held while a batch of events is handled. unwatch takes it, so
	// once unwatch returns no handler of that socket runs or will run:
	// events fetched before the removal find their slot emptied.
	mu      sync.Mutex
	watches []*watch // by slot; nil is free
	gens    []uint32 // bumped when a slot is freed, so stale events miss
	free    []uint32

	events []unix.EpollEvent
	batch  *recvBatch
	pkt    rtp.Packet
}

// watch is one socket of a leg and what to do with its packets. A watch
// without a leg is the pool's (idle.go): an idle socket's, whose packets
// are read and dropped, or a held one's (hold), whose packets must wait
// for the leg that will start it: the first one mutes the socket in the
// epoll set (level-triggered, it would be reported again and again) until
// swap hands it to the leg.
type watch struct {
	leg   *Leg
	rtcp  bool // the RTCP socket, else the RTP one
	sink  sink
	sock  *socket // for the pool's watches
	hold  bool
	muted bool // under the reactor's mu
	slot  uint32
}

var (
	reactorsOnce sync.Once
	reactors     []*reactor
	reactorsErr  error
	nextReactor  atomic.Uint32
)

// pickReactor returns the reactor for a new leg, starting the reactors on
// first use.
func pickReactor() (*reactor, error) {
	reactorsOnce.Do(func() {
		for range max(runtime.GOMAXPROCS(0), 1) {
			r, err := newReactor()
			if err != nil {
				reactorsErr = err
				return
			}
			reactors = append(reactors, r)
			go r.run()
		}
	})
	if reactorsErr != nil {
		return nil, reactorsErr
	}
	return reactors[int(nextReactor.Add(1))%len(reactors)], nil
}

func newReactor() (*reactor, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("media reactor: epoll: %w", err)
	}
	// os.NewFile registers a non-blocking descriptor with the runtime
	// poller; an epoll descriptor is readable while it has events.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("media reactor: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "media-epoll")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("media reactor: %w", err)
	}
	return &reactor{
		epfd:   epfd,
		poller: f,
		raw:    raw,
		events: make([]unix.EpollEvent, 256),
		batch:  newRecvBatch(),
	}, nil
}

// watch adds a socket to the reactor; from now on its packets go to
// w.sink.
func (r *reactor) watch(s *socket, w *watch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var slot uint32
	if n := len(r.free); n > 0 {
		slot, r.free = r.free[n-1], r.free[:n-1]
	} else {
		slot = uint32(len(r.watches))
		r.watches = append(r.watches, nil)
		r.gens = append(r.gens, 0)
	}
	w.slot = slot
	r.watches[slot] = w
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	ev.Fd, ev.Pad = int32(slot), int32(r.gens[slot])
	if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, s.fd, &ev); err != nil {
		r.release(slot)
		return fmt.Errorf("media reactor: watch socket: %w", err)
	}
	return nil
}

// unwatch removes a socket; when it returns, no handler of w runs.
func (r *reactor) unwatch(s *socket, w *watch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(w.slot) >= len(r.watches) || r.watches[w.slot] != w {
		return // not (or no longer) watching s
	}
	_ = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_DEL, s.fd, nil)
	w.muted = false
	r.release(w.slot)
}

// swap makes w, in place of old, what runs for a socket in the epoll set,
// without a system call (unless old had muted the socket: it is heard
// again); when it returns, no handler of old runs.
func (r *reactor) swap(s *socket, old, w *watch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(old.slot) >= len(r.watches) || r.watches[old.slot] != old {
		return
	}
	w.slot = old.slot
	r.watches[w.slot] = w
	if old.muted {
		old.muted = false
		ev := unix.EpollEvent{Events: unix.EPOLLIN}
		ev.Fd, ev.Pad = int32(w.slot), int32(r.gens[w.slot])
		_ = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_MOD, s.fd, &ev)
	}
}

// mute stops the epoll set reporting a held socket (see watch.hold), so
// its packets wait in it. The caller holds r.mu.
func (r *reactor) mute(w *watch) {
	ev := unix.EpollEvent{}
	ev.Fd, ev.Pad = int32(w.slot), int32(r.gens[w.slot])
	if unix.EpollCtl(r.epfd, unix.EPOLL_CTL_MOD, w.sock.fd, &ev) == nil {
		w.muted = true
	}
}

func (r *reactor) release(slot uint32) {
	r.watches[slot] = nil
	r.gens[slot]++
	r.free = append(r.free, slot)
}

// run is the reactor's goroutine; it lives as long as the process.
func (r *reactor) run() {
	for {
		// RawConn.Read calls poll until it reports done, parking on the
		// runtime poller between calls; it never reports done, so Read
		// only returns on an error of the poller itself.
		err := r.raw.Read(r.poll)
		if err != nil {
			panic(fmt.Sprintf("media reactor: poller failed: %v", err))
		}
	}
}

// poll handles every ready socket until none is left, then asks to be
// parked until the epoll descriptor is readable again.
func (r *reactor) poll(uintptr) bool {
	for {
		n, err := unix.EpollWait(r.epfd, r.events, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return false
		}
		if n == 0 {
			return false
		}
		r.mu.Lock()
		for i := range n {
			ev := &r.events[i]
			slot, gen := uint32(ev.Fd), uint32(ev.Pad)
			if int(slot) >= len(r.watches) || r.gens[slot] != gen || r.watches[slot] == nil {
				continue // removed since epoll reported it
			}
			w := r.watches[slot]
			if w.leg == nil {
				if w.hold {
					r.mute(w)
				} else {
					w.sock.discard(r.batch)
				}
			} else if w.rtcp {
				w.leg.readRTCP(r, w.sink)
			} else {
				w.leg.readRTP(r, w.sink)
			}
		}
		r.mu.Unlock()
	}
}
