package media

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestTelephoneEventUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want TelephoneEvent
		key  rune
		err  error
	}{
		{name: "a '5' in progress", in: []byte{5, 0x0a, 0x01, 0x40}, want: TelephoneEvent{Event: 5, Volume: 10, Duration: 320}, key: '5'},
		{name: "the end of a '#'", in: []byte{11, 0x8a, 0x03, 0x20}, want: TelephoneEvent{Event: 11, End: true, Volume: 10, Duration: 800}, key: '#'},
		{name: "'*' is event 10", in: []byte{10, 0, 0, 0}, want: TelephoneEvent{Event: 10}, key: '*'},
		{name: "'D' is event 15 and the reserved bit is ignored", in: []byte{15, 0x7f, 0xff, 0xff}, want: TelephoneEvent{Event: 15, Volume: 63, Duration: 65535}, key: 'D'},
		{name: "flash is no digit", in: []byte{16, 0x80, 0, 160}, want: TelephoneEvent{Event: 16, End: true, Duration: 160}},
		{name: "extra bytes (a second event) are left alone", in: []byte{1, 0, 0, 160, 2, 0, 0, 160}, want: TelephoneEvent{Event: 1, Duration: 160}, key: '1'},
		{name: "three bytes are too short", in: []byte{1, 0, 0}, err: ErrShortPayload},
		{name: "nothing is too short", in: nil, err: ErrShortPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev TelephoneEvent
			err := ev.Unmarshal(tt.in)
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev != tt.want {
				t.Errorf("got %+v, want %+v", ev, tt.want)
			}
			key, ok := ev.Digit()
			if key != tt.key || ok != (tt.key != 0) {
				t.Errorf("digit %q %v, want %q", key, ok, tt.key)
			}
			again := ev.Marshal()
			var back TelephoneEvent
			if err := back.Unmarshal(again); err != nil || back != ev {
				t.Errorf("marshal round trip: %+v %v", back, err)
			}
		})
	}
}

// ev is one telephone-event packet of a test sequence.
type ev struct {
	dir   Direction
	ts    uint32
	event uint8
	end   bool
	dur   uint16
	pt    uint8 // 0: 101
	ssrc  uint32
}

func TestDTMFDetector(t *testing.T) {
	// a key press as phones send it: start, updates, three end packets
	press := func(ts uint32, event uint8) []ev {
		return []ev{
			{ts: ts, event: event, dur: 160}, {ts: ts, event: event, dur: 320}, {ts: ts, event: event, dur: 480},
			{ts: ts, event: event, end: true, dur: 640}, {ts: ts, event: event, end: true, dur: 640}, {ts: ts, event: event, end: true, dur: 640},
		}
	}
	cat := func(seqs ...[]ev) []ev {
		var out []ev
		for _, s := range seqs {
			out = append(out, s...)
		}
		return out
	}
	tests := []struct {
		name string
		pkts []ev
		want string // keys, with the direction for FromB as lower-case prefix "b"
	}{
		{name: "a press with three end packets is reported once", pkts: press(1000, 1), want: "1"},
		{name: "the same key pressed twice is two presses", pkts: cat(press(1000, 5), press(2000, 5)), want: "55"},
		{name: "all keys map to their characters", pkts: cat(press(0, 10), press(1000, 11), press(2000, 12), press(3000, 15), press(4000, 0)), want: "*#AD0"},
		{name: "a press whose end packets were all lost is reported when the next starts", pkts: cat(press(1000, 7)[:3], press(2000, 8)), want: "78"},
		{name: "a late end packet of a reported press is ignored", pkts: cat(press(1000, 3), press(2000, 4), []ev{{ts: 1000, event: 3, end: true, dur: 640}}), want: "34"},
		{name: "a press with only end packets is reported", pkts: []ev{{ts: 500, event: 9, end: true, dur: 800}, {ts: 500, event: 9, end: true, dur: 800}}, want: "9"},
		{name: "both directions are told apart", pkts: cat(press(1000, 1), withDir(press(1000, 2), FromB)), want: "1b2"},
		{name: "another payload type is not telephone-event", pkts: []ev{{ts: 1, event: 1, end: true, pt: 96}}, want: ""},
		{name: "flash is not a digit", pkts: []ev{{ts: 1, event: 16, end: true}}, want: ""},
		{name: "a new SSRC starts a new event", pkts: cat(press(1000, 1), []ev{{ts: 1000, event: 1, end: true, ssrc: 99}}), want: "11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			var durs []time.Duration
			d := NewDTMFDetector(func(dg Digit) {
				if dg.Direction == FromB {
					got.WriteByte('b')
				}
				got.WriteRune(dg.Key)
				durs = append(durs, dg.Duration)
			}, 101)
			for i, p := range tt.pkts {
				pt := p.pt
				if pt == 0 {
					pt = 101
				}
				ssrc := p.ssrc
				if ssrc == 0 {
					ssrc = 1
				}
				payload := TelephoneEvent{Event: p.event, End: p.end, Volume: 10, Duration: p.dur}.Marshal()
				d.Packet(p.dir, &rtp.Packet{Header: rtp.Header{PayloadType: pt, SequenceNumber: uint16(i), Timestamp: p.ts, SSRC: ssrc}, Payload: payload})
			}
			if got.String() != tt.want {
				t.Errorf("got %q, want %q", got.String(), tt.want)
			}
			if tt.name == "a press with three end packets is reported once" && durs[0] != 80*time.Millisecond {
				t.Errorf("duration %v, want 80ms", durs[0])
			}
		})
	}
}

func withDir(evs []ev, d Direction) []ev {
	for i := range evs {
		evs[i].dir = d
	}
	return evs
}

func FuzzTelephoneEvent(f *testing.F) {
	f.Add([]byte{5, 0x8a, 0x01, 0x40}, uint32(0))
	f.Add([]byte{11}, uint32(1))
	f.Add([]byte{}, uint32(2))
	d := NewDTMFDetector(func(dg Digit) {
		if !strings.ContainsRune("0123456789*#ABCD", dg.Key) {
			panic("reported a key that is no DTMF digit")
		}
	})
	f.Fuzz(func(t *testing.T, payload []byte, ts uint32) {
		var ev TelephoneEvent
		if err := ev.Unmarshal(payload); err != nil {
			if len(payload) >= 4 {
				t.Fatalf("4 bytes or more refused: %v", err)
			}
		} else {
			var back TelephoneEvent
			if err := back.Unmarshal(ev.Marshal()); err != nil || back != ev {
				t.Fatalf("round trip %+v -> %+v", ev, back)
			}
		}
		d.Packet(Direction(ts%2), &rtp.Packet{Header: rtp.Header{PayloadType: DefaultTelephoneEvent, Timestamp: ts}, Payload: payload})
	})
}
