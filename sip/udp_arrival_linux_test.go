//go:build linux

package sip

import (
	"encoding/binary"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// arrivalByLibrary is arrivalOf as it was, through the library's parser:
// the reference the in-place walk is checked against.
func arrivalByLibrary(oob []byte) time.Time {
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

// cmsg is one control message as the kernel lays it out, padded.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, syscall.CmsgSpace(len(data)))
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(syscall.CmsgLen(len(data)))
	copy(b[syscall.CmsgLen(0):], data)
	return b
}

func timespecBytes(sec, nsec int64) []byte {
	b := make([]byte, 16)
	binary.NativeEndian.PutUint64(b, uint64(sec))
	binary.NativeEndian.PutUint64(b[8:], uint64(nsec))
	return b
}

func TestArrivalOfReadsTheStamp(t *testing.T) {
	stamp := timespecBytes(1_700_000_000, 123_456_789)
	want := time.Unix(1_700_000_000, 123_456_789)
	other := cmsg(syscall.SOL_IP, syscall.IP_TTL, []byte{64, 0, 0, 0})
	short := cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, stamp[:8])
	truncated := cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, stamp)
	truncated = truncated[:len(truncated)-4]
	tests := []struct {
		name string
		oob  []byte
		want time.Time
	}{
		{"the stamp alone", cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, stamp), want},
		{"after another message", append(other, cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, stamp)...), want},
		{"none", nil, time.Time{}},
		{"another message only", other, time.Time{}},
		{"data too short for a timespec", short, time.Time{}},
		{"cut off", truncated, time.Time{}},
		{"header only", make([]byte, syscall.CmsgLen(0)-1), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := arrivalOf(tt.oob); !got.Equal(tt.want) {
				t.Errorf("arrivalOf = %v, want %v", got, tt.want)
			}
			if got, lib := arrivalOf(tt.oob), arrivalByLibrary(tt.oob); !got.Equal(lib) {
				t.Errorf("arrivalOf = %v, the library's parse %v", got, lib)
			}
		})
	}
}

func TestArrivalOfDoesNotAllocate(t *testing.T) {
	oob := cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, timespecBytes(1_700_000_000, 1))
	if n := testing.AllocsPerRun(100, func() { _ = arrivalOf(oob) }); n != 0 {
		t.Errorf("arrivalOf allocates %v times per datagram, want 0", n)
	}
}

// FuzzArrivalOf checks the in-place walk against the library's parser on
// any control-message buffer, well-formed or not.
func FuzzArrivalOf(f *testing.F) {
	stamp := timespecBytes(1_700_000_000, 5)
	f.Add(cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, stamp))
	f.Add(append(cmsg(syscall.SOL_IP, syscall.IP_TTL, []byte{1, 0, 0, 0}), cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, stamp)...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, oob []byte) {
		if got, want := arrivalOf(oob), arrivalByLibrary(oob); !got.Equal(want) {
			t.Errorf("arrivalOf(%x) = %v, the library's parse %v", oob, got, want)
		}
	})
}
