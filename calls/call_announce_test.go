package calls

import (
	"path/filepath"
	"testing"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

func TestATransferAnnouncesTheRecordingToTheNewParty(t *testing.T) {
	const (
		g711  = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
		pcma  = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 8\r\n"
		g722  = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4004 RTP/AVP 9\r\n"
		g722u = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4006 RTP/AVP 9 0\r\n"
	)
	tests := []struct {
		name                 string
		recorded, announcing bool
		transfereeIsB        bool // the transferee was the callee: the target takes the A side
		transferee, target   string
		played               bool
		ptA, ptB             uint8
	}{
		{name: "the target hears it in the codec it answered", recorded: true, announcing: true,
			transferee: g711, target: pcma, played: true, ptA: media.PayloadPCMA, ptB: media.PayloadPCMA},
		{name: "the target takes the transferor's side", recorded: true, announcing: true, transfereeIsB: true,
			transferee: g711, target: pcma, played: true, ptA: media.PayloadPCMA, ptB: media.PayloadPCMA},
		{name: "a call not recorded announces nothing", announcing: true,
			transferee: g711, target: pcma},
		{name: "no announcement configured", recorded: true,
			transferee: g711, target: pcma},
		{name: "parties without a common G.711 codec hear nothing", recorded: true, announcing: true,
			transferee: g722u, target: g722},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := newFakeHost(t, nil)
			if tt.announcing {
				host.announcement = media.DefaultRecordingAnnouncement()
			}
			c := &Call{host: host, id: "c", log: host.log}
			p := c.newLeg(billing.LegFacts{Direction: billing.Inbound, Endpoint: billing.EndpointTrunk, Peer: billing.EndpointPhone})
			p.SDP = []byte(tt.transferee)
			x := c.newLeg(billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointTrunk})
			c.a, c.b = p, x
			if tt.transfereeIsB {
				c.a, c.b = x, p
			}
			target := c.newLeg(billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone})
			target.SDP = []byte(tt.target)
			if tt.recorded {
				rec, err := media.OpenRecorder(filepath.Join(t.TempDir(), "call.wav"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _, _ = rec.Close() })
				c.Recorder = rec
			}
			ann := c.transferAnnouncement(p, target)
			if !tt.played {
				if ann != nil {
					t.Fatalf("want no announcement, got one in %d/%d", ann.PtA, ann.PtB)
				}
				return
			}
			if ann == nil || len(ann.Samples) == 0 {
				t.Fatal("want the announcement, got none")
			}
			if ann.PtA != tt.ptA || ann.PtB != tt.ptB {
				t.Fatalf("payload types %d/%d, want %d/%d", ann.PtA, ann.PtB, tt.ptA, tt.ptB)
			}
		})
	}
}
