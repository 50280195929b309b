package media

import (
	"fmt"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// socket is a non-blocking UDP socket that the Go runtime's poller does
// not know: a reactor reads it, and anyone may send on it. Owning the
// descriptor lets one reactor goroutine serve thousands of sockets with a
// single epoll set, instead of a goroutine (and a scheduler wake-up) per
// socket per packet.
type socket struct {
	fd  int
	is6 bool
	// refs counts sends in flight; sockClosing is set once close begins,
	// after which no new send starts and close waits for the count to
	// drain before the descriptor is closed (and its number reused).
	refs atomic.Int64
}

const sockClosing = 1 << 40

// openSocket binds a non-blocking UDP socket to addr; bufBytes > 0 sets
// SO_RCVBUF and SO_SNDBUF.
func openSocket(addr netip.AddrPort, bufBytes int) (*socket, error) {
	family := unix.AF_INET
	if addr.Addr().Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	s := &socket{fd: fd, is6: family == unix.AF_INET6}
	if bufBytes > 0 {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, bufBytes)
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, bufBytes)
	}
	var sa unix.Sockaddr
	if s.is6 {
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
	} else {
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind %s: %w", addr, err)
	}
	return s, nil
}

// sockaddr is a destination in the kernel's layout, built once per remote
// so that sending neither converts nor allocates.
type sockaddr struct {
	v4  unix.RawSockaddrInet4
	v6  unix.RawSockaddrInet6
	is6 bool
}

func newSockaddr(addr netip.AddrPort, for6 bool) sockaddr {
	var sa sockaddr
	port := addr.Port()
	if for6 { // a v4 peer of a dual-stack socket is reached as ::ffff:a.b.c.d
		sa.is6 = true
		sa.v6.Family = unix.AF_INET6
		sa.v6.Addr = addr.Addr().As16()
		putPort(&sa.v6.Port, port)
		return sa
	}
	sa.v4.Family = unix.AF_INET
	if addr.Addr().Is4() || addr.Addr().Is4In6() {
		sa.v4.Addr = addr.Addr().Unmap().As4()
	}
	putPort(&sa.v4.Port, port)
	return sa
}

// putPort stores a port in network byte order, as sockaddr_in wants it.
func putPort(dst *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(dst))
	b[0], b[1] = byte(port>>8), byte(port)
}

func getPort(src *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(src))
	return uint16(b[0])<<8 | uint16(b[1])
}

var errSocketClosed = fmt.Errorf("socket: %w", ErrClosed)

// sendTo sends one datagram without blocking; a full send buffer is an
// error (EAGAIN) like any other, and the packet is dropped, as a router
// would.
func (s *socket) sendTo(b []byte, to *sockaddr) error {
	if s.refs.Add(1)&sockClosing != 0 {
		s.refs.Add(-1)
		return errSocketClosed
	}
	var errno unix.Errno
	if to.is6 {
		_, _, errno = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&to.v6)), unix.SizeofSockaddrInet6)
	} else {
		_, _, errno = unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&to.v4)), unix.SizeofSockaddrInet4)
	}
	s.refs.Add(-1)
	if errno != 0 {
		return errno
	}
	return nil
}

// close stops new sends, waits for those in flight and closes the
// descriptor. The caller has removed the socket from its reactor first.
func (s *socket) close() error {
	if !s.shut() {
		return nil // closed already
	}
	if err := unix.Close(s.fd); err != nil {
		return fmt.Errorf("close socket: %w", err)
	}
	return nil
}

// shut stops new sends and waits for those in flight, leaving the
// descriptor open; it reports whether this call shut the socket.
func (s *socket) shut() bool {
	for {
		v := s.refs.Load()
		if v&sockClosing != 0 {
			return false
		}
		if s.refs.CompareAndSwap(v, v|sockClosing) {
			break
		}
	}
	for i := 0; s.refs.Load() != sockClosing; i++ {
		if i < 100 {
			runtime.Gosched() // a send is a single syscall: it ends soon
		} else {
			time.Sleep(50 * time.Microsecond)
		}
	}
	return true
}

// drain discards every datagram the socket holds, reading each into a
// one-byte buffer (MSG_TRUNC: the rest of it is dropped by the kernel).
// Only a goroutine that owns the socket calls it, while no handler reads
// it: none is watching, or the watch is a hold, which never reads.
func (s *socket) drain() {
	var b [1]byte
	for range 1 << 16 { // bounded, as a queue is: an error that persists ends it
		_, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), 1,
			unix.MSG_DONTWAIT|unix.MSG_TRUNC, 0, 0)
		if errno == unix.EAGAIN || errno == unix.EBADF || errno == unix.ENOTSOCK {
			return
		}
	}
}

// discard reads and drops what the socket holds, on its reactor: an idle
// socket of the pool is read this way so that nothing piles up in it.
func (s *socket) discard(b *recvBatch) {
	for range 64 { // bounded: a flood of one socket must not stall the others
		n, err := s.recvMany(b)
		if err != nil || n < recvBatchSize {
			return
		}
	}
}

// localAddr returns the address the socket is bound to.
func (s *socket) localAddr() (netip.AddrPort, error) {
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("getsockname: %w", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), nil
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("getsockname: unexpected %T", sa)
}

// recvBatch is the reactor's scratch space for recvmmsg: up to
// recvBatchSize datagrams from one socket per system call.
type recvBatch struct {
	msgs  [recvBatchSize]mmsghdr
	iovs  [recvBatchSize]unix.Iovec
	froms [recvBatchSize]unix.RawSockaddrAny
	bufs  [recvBatchSize][maxPacketSize]byte
}

// recvBatchSize bounds what one read takes from a socket. A party sends
// one packet per 20 ms, so a socket holds more than one only when the
// relay has fallen behind; then one system call catches up with 160 ms.
const recvBatchSize = 8

// mmsghdr is struct mmsghdr: a msghdr and the length the kernel received.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

func newRecvBatch() *recvBatch {
	b := new(recvBatch)
	for i := range b.msgs {
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(maxPacketSize)
		b.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.froms[i]))
		b.msgs[i].hdr.Iov = &b.iovs[i]
		b.msgs[i].hdr.Iovlen = 1
	}
	return b
}

// recvMany reads up to recvBatchSize datagrams without blocking into b and
// returns how many arrived; packet i is b.packet(i). Only the socket's
// reactor calls it, and never after close.
func (s *socket) recvMany(b *recvBatch) (int, error) {
	for i := range b.msgs {
		b.msgs[i].hdr.Namelen = unix.SizeofSockaddrAny
	}
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&b.msgs[0])), recvBatchSize,
		unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// packet returns the i-th datagram recvMany read and where it came from.
func (b *recvBatch) packet(i int) ([]byte, netip.AddrPort) {
	return b.bufs[i][:b.msgs[i].n], sourceOf(&b.froms[i])
}

// sourceOf converts a kernel source address without allocating.
func sourceOf(from *unix.RawSockaddrAny) netip.AddrPort {
	switch from.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(from))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), getPort(&sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(from))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), getPort(&sa.Port))
	}
	return netip.AddrPort{}
}
