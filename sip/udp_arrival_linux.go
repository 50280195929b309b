//go:build linux

package sip

import (
	"net"
	"syscall"
	"time"
	"unsafe"
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
// messages; zero if there is none.
func arrivalOf(oob []byte) time.Time {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS &&
			len(m.Data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
			return time.Unix(ts.Unix())
		}
	}
	return time.Time{}
}
