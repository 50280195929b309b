package e2e

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/media"
	"github.com/emiago/sipgo"
)

// A transfer brings a new party into a recorded call: the new party must
// hear the recording announcement before anything of the transferee, and
// the recording goes on with the new party in it. The phones are the
// announcement test's, which keep every RTP packet they get.

const (
	xferBobTone   = 550 // the transferor
	xferCarolTone = 880 // the transfer target
)

func TestATransferPlaysTheRecordingAnnouncementToTheNewParty(t *testing.T) {
	// Not parallel: it counts the announcement's packets in runs told apart by arrival.
	const (
		recordAll = "  record_all: true"
		announce  = "  recording_announcement: true"
	)
	tests := []struct {
		name     string
		media    string
		target   string // a user, or an outside number (the trunk's phone answers)
		attended bool   // bob consults carol first, then transfers with Replaces
		// What each party hears, run by run: "ann" is a prompt of the
		// switch, the others a party by name.
		caller, carol []string
		legs          int // CDRs of the transferred call (and the consultation)
		recorded      bool
	}{
		{name: "blind to a user", media: recordAll + "\n" + announce, target: "1003",
			caller: []string{"ann", "bob", "ann", "carol"}, carol: []string{"ann", "caller"}, legs: 4, recorded: true},
		{name: "blind to an outside number", media: recordAll + "\n" + announce, target: "+14155550199",
			caller: []string{"ann", "bob", "ann", "carol"}, carol: []string{"ann", "caller"}, legs: 3, recorded: true},
		{name: "attended to a user", media: recordAll + "\n" + announce, target: "1003", attended: true,
			caller: []string{"ann", "bob", "ann", "carol"}, carol: []string{"ann", "bob", "ann", "caller"}, legs: 4, recorded: true},
		{name: "a recorded call without the announcement", media: recordAll, target: "1003",
			caller: []string{"bob", "carol"}, carol: []string{"caller"}, legs: 4, recorded: true},
		{name: "a call not recorded", media: announce, target: "1003",
			caller: []string{"bob", "carol"}, carol: []string{"caller"}, legs: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw := startSwitch(t, switchOpts{MediaExtra: tt.media})
			bobPort := freePort(t)
			sw.registerFor(t, "1002", "bob-secret", bobPort) // before the phone takes the port
			bob := newAnnPhone(t, bobPort, xferBobTone)
			carolPort := sw.trunk
			if !strings.HasPrefix(tt.target, "+") {
				carolPort = freePort(t)
				sw.registerFor(t, tt.target, "carol-secret", carolPort)
			}
			carol := newAnnPhone(t, carolPort, xferCarolTone)

			// The carrier calls bob's number.
			caller := newAnnPhone(t, freePort(t), annCallerTone)
			d := caller.call(sw, "+16505550123", "", "+14155550101")
			var first *sipgo.DialogServerSession
			select {
			case first = <-bob.answered:
			case <-time.After(5 * time.Second):
				t.Fatal("bob never answered")
			}
			names := map[uint32]string{caller.rtp.ssrc: "caller", bob.rtp.ssrc: "bob", carol.rtp.ssrc: "carol"}
			name := func(r annRun) string {
				if n, ok := names[r.ssrc]; ok {
					return n
				}
				return "ann"
			}
			// hearing is true once p's latest run is who's, n packets long:
			// the tests wait on what the phones hear, not on the clock, so
			// a slow machine delays them but does not fail them.
			hearing := func(p *annMedia, who string, n int) func() bool {
				return func() bool {
					runs := p.runs(time.Now())
					return len(runs) > 0 && name(runs[len(runs)-1]) == who && runs[len(runs)-1].packets >= n
				}
			}
			var consult *sipgo.DialogClientSession
			if tt.attended {
				// Bob's second line: another SSRC, bob all the same.
				line2 := newAnnPhone(t, freePort(t), xferBobTone)
				names[line2.rtp.ssrc] = "bob"
				consult = line2.call(sw, "1002", "bob-secret", tt.target)
				<-carol.answered
				waitFor(t, "carol to hear bob's second line", 10*time.Second, hearing(carol.rtp, "bob", 10))
			}
			// Past the first announcement, bob hands the caller over.
			waitFor(t, "the caller to hear bob", 10*time.Second, hearing(caller.rtp, "bob", 10))
			sendRefer(t, sw, first, tt.target, consult)
			if !tt.attended {
				select {
				case <-carol.answered:
				case <-time.After(5 * time.Second):
					t.Fatal("the transfer target never answered")
				}
			}
			waitFor(t, "bob's dialog to end", 5*time.Second, func() bool { return first.Context().Err() != nil })
			// 1.2 s of the caller after what carol heard first: enough
			// for the recording's windows below.
			waitFor(t, "carol to hear the caller", 10*time.Second, hearing(carol.rtp, "caller", 60))
			caller.rtp.hush()
			byeAt := time.Now()
			annHangUp(t, d)
			time.Sleep(300 * time.Millisecond) // the last packets in flight
			caller.rtp.close()
			carol.rtp.close()

			bob.mu.Lock()
			notifies := strings.Join(bob.notifies, " | ")
			bob.mu.Unlock()
			if !strings.Contains(notifies, "SIP/2.0 200 OK") {
				t.Errorf("NOTIFYs to the transferor: %s", notifies)
			}
			heard := map[string][]annRun{}
			for _, side := range []struct {
				name  string
				hears *annMedia
				want  []string
				until time.Time
			}{{"caller", caller.rtp, tt.caller, byeAt}, {"carol", carol.rtp, tt.carol, time.Now()}} {
				runs := side.hears.runs(side.until)
				var kinds []string
				for _, r := range runs {
					kinds = append(kinds, name(r))
				}
				if fmt.Sprint(kinds) != fmt.Sprint(side.want) {
					t.Fatalf("the %s heard %v (packets: %s), want %v", side.name, kinds, annPacketCounts(runs), side.want)
				}
				for i, r := range runs {
					if kinds[i] != "ann" {
						continue
					}
					if r.pt != media.PayloadPCMA || r.packets != annPackets || math.Abs(r.frequency()-media.RecordingWarningFreq) > 40 {
						t.Errorf("the %s's announcement %d: payload type %d, %d packets at %.0f Hz; want the negotiated PCMA, %d packets at %d Hz",
							side.name, i, r.pt, r.packets, r.frequency(), annPackets, media.RecordingWarningFreq)
					}
				}
				heard[side.name] = runs
			}

			// Carol joined the caller with her last run but one when it is
			// the announcement, else with her last. The caller talked all
			// along: nothing of it reached carol while that played.
			carolRuns := heard["carol"]
			joined := carolRuns[len(carolRuns)-1]
			announced := len(tt.carol) > 1 && tt.carol[len(tt.carol)-2] == "ann"
			if announced {
				joined = carolRuns[len(carolRuns)-2]
				if n := caller.rtp.sentBetween(joined.first, joined.last); n < joined.packets/2 {
					t.Errorf("the caller sent %d packets during carol's announcement of %d: muting not exercised", n, joined.packets)
				}
			}

			legs := sw.cdrs(tt.legs)
			var in, target, consulting *cdr
			for i, l := range legs {
				switch {
				case l.Direction == "inbound" && l.Endpoint == "trunk":
					in = &legs[i]
				case l.Direction == "outbound" && l.Reason == "transfer" && l.To == tt.target:
					target = &legs[i]
				case tt.attended && l.Direction == "inbound" && l.Reason == "transfer":
					consulting = &legs[i]
				}
			}
			if len(legs) != tt.legs || in == nil || target == nil {
				t.Fatalf("CDRs: %v", legSummary(legs))
			}
			if !tt.recorded {
				if in.Recording != nil || target.Recording != nil {
					t.Fatalf("a call not recorded has recordings: %+v, %+v", in.Recording, target.Recording)
				}
				return
			}
			// One recording from the answer to the end, the transfer
			// target's leg included.
			if in.Recording == nil || target.Recording == nil || in.Recording.Path != target.Recording.Path {
				t.Fatalf("recordings: caller's leg %+v, target's leg %+v", in.Recording, target.Recording)
			}
			if tt.attended {
				// The consultation call was recorded on its own, and its
				// file is finished though the transfer took its media.
				if consulting == nil || consulting.Recording == nil || consulting.Recording.Seconds < 1 || consulting.Recording.Path == in.Recording.Path {
					t.Errorf("the consultation leg: %+v", consulting)
				}
			}
			_, left, right := annRecording(t, sw, target.LegID)
			// The file starts with the call's first packet, which the
			// caller heard at once; carol's first packet came with her
			// side of the bridge.
			at := func(tm time.Time) int { return int(tm.Sub(heard["caller"][0].first) / (time.Second / 8000)) }
			// 50–350 ms into what carol heard first (the first beep when
			// announced); 0.3–0.8 s into the conversation after it.
			bridged, talking := at(joined.first), at(carolRuns[len(carolRuns)-1].first)
			during, after := bridged+400, talking+2400
			if len(left) < after+4000 {
				t.Fatalf("the recording lasts %d samples; carol joined at %d", len(left), bridged)
			}
			for channel, ch := range map[string][]int16{"left": left, "right": right} {
				level := annToneLevel(ch[during:during+2400], media.RecordingWarningFreq)
				t.Logf("%s channel: 1400 Hz at %.3f as carol joined", channel, level)
				if announced != (level > 0.15) || (!announced && level > 0.02) {
					t.Errorf("%s channel: 1400 Hz at %.3f as carol joined; announced: %v", channel, level, announced)
				}
			}
			// The caller is the A side (left); carol took bob's (right).
			if l, r := annToneLevel(left[after:after+4000], annCallerTone), annToneLevel(right[after:after+4000], xferCarolTone); l < 0.1 || r < 0.1 {
				t.Errorf("the parties are missing from the recording after the transfer: caller %.3f, carol %.3f", l, r)
			}
		})
	}
}
