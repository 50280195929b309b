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
// messages; zero if there is none, or if any message is malformed. It
// walks them in place, as syscall.ParseSocketControlMessage does but
// without the slice that allocates for every datagram read.
func arrivalOf(oob []byte) time.Time {
	var arrived time.Time
	hdrLen := syscall.CmsgLen(0) // the header, aligned: where the data starts
	for len(oob) >= hdrLen {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if int(h.Len) < hdrLen || uint64(h.Len) > uint64(len(oob)) {
			return time.Time{}
		}
		data := oob[hdrLen:h.Len]
		if arrived.IsZero() && h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS &&
			len(data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&data[0]))
			arrived = time.Unix(ts.Unix())
		}
		next := syscall.CmsgSpace(int(h.Len) - hdrLen) // the message, padded
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return arrived
}
