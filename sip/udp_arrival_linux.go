//go:build linux

package sip

import (
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// arrivalOOBSize holds one SCM_TIMESTAMPNS control message.
var arrivalOOBSize = syscall.CmsgSpace(int(unsafe.Sizeof(syscall.Timespec{})))

// stampArrivals asks the kernel to note when each datagram reaches the
// socket (SO_TIMESTAMPNS), so the switch can tell how long one waited
// before it was read. It reports whether the kernel agreed.
func stampArrivals(c *net.UDPConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var setErr error
	if err := raw.Control(func(fd uintptr) {
		setErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || setErr != nil {
		return false
	}
	return true
}

// arrivalOf is the kernel's receive time in a datagram's control
// messages; zero if there is none, or if any message is malformed. One
// message at a time (unix.ParseOneSocketControlMessage), as
// syscall.ParseSocketControlMessage reads them but without the slice
// that allocates for every datagram read.
func arrivalOf(oob []byte) time.Time {
	var arrived time.Time
	for len(oob) >= unix.CmsgLen(0) {
		h, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return time.Time{}
		}
		if arrived.IsZero() && h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS &&
			len(data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&data[0]))
			arrived = time.Unix(ts.Unix())
		}
		oob = rest
	}
	return arrived
}
