package media

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestSilenceDetector(t *testing.T) {
	quiet := bytes.Repeat([]byte{0xFF}, 160) // µ-law zero
	loud := must(EncodeG711(nil, PayloadPCMU, sine(440, 0, 160)))
	type pkt struct {
		dir     Direction
		pt      uint8
		payload []byte
		skip    uint32 // extra timestamp before this packet (DTX)
	}
	q := pkt{pt: PayloadPCMU, payload: quiet}
	l := pkt{pt: PayloadPCMU, payload: loud}
	rep := func(p pkt, n int) []pkt {
		out := make([]pkt, n)
		for i := range out {
			out[i] = p
		}
		return out
	}
	cat := func(ps ...[]pkt) []pkt {
		var out []pkt
		for _, p := range ps {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		pkts []pkt
		want bool
	}{
		{name: "200 ms of quiet packets is silence", pkts: rep(q, 10), want: true},
		{name: "180 ms of quiet packets is not yet silence", pkts: rep(q, 9)},
		{name: "speech restarts the count", pkts: cat(rep(q, 9), []pkt{l}, rep(q, 9))},
		{name: "a gap in timestamps counts as silence", pkts: []pkt{l, {pt: PayloadPCMU, payload: loud, skip: 1600}}, want: true},
		{name: "comfort noise packets do not count as speech", pkts: cat([]pkt{l}, rep(pkt{pt: 13, payload: []byte{40}, skip: 160}, 11)), want: true},
		{name: "the other direction is not watched", pkts: rep(pkt{dir: FromB, pt: PayloadPCMU, payload: quiet}, 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewSilenceDetector(FromA, 200*time.Millisecond, 0)
			ts := uint32(0)
			for i, p := range tt.pkts {
				ts += p.skip
				d.Packet(p.dir, &rtp.Packet{Header: rtp.Header{PayloadType: p.pt, SequenceNumber: uint16(i), Timestamp: ts, SSRC: 1}, Payload: p.payload})
				if p.pt == PayloadPCMU {
					ts += 160
				}
			}
			select {
			case <-d.Silent():
				if !tt.want {
					t.Error("silence reported")
				}
			default:
				if tt.want {
					t.Error("silence not reported")
				}
			}
		})
	}
	t.Run("no voice for the duration by the clock is silence", func(t *testing.T) {
		d := NewSilenceDetector(FromA, time.Second, 0)
		d.Check(time.Now().Add(500 * time.Millisecond))
		select {
		case <-d.Silent():
			t.Fatal("silent after half the time")
		default:
		}
		d.Check(time.Now().Add(2 * time.Second))
		<-d.Silent()
	})
}
