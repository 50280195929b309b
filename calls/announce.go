package calls

import (
	"context"
	"errors"
	"log/slog"

	"github.com/dialtone/dialtone/media"
)

// The recording announcement (media.recording_announcement) tells the
// parties that the call is recorded. It plays whenever a call's recording
// starts (at answer for calls recorded by config, or when the API asks for
// it) and whenever a transfer bridges a recorded call to a new party,
// whose consent the first announcement did not ask. The recorder is tapped
// first, so the recording itself holds the announcement.

// Announcement is a prompt to play on a relay: to the A side's party as
// payload type PtA, to the B side's as PtB.
type Announcement struct {
	Samples  []int16
	PtA, PtB uint8
	Why      string // for the log
}

// AnnounceRecording plays the recording announcement samples (none: no
// announcement) to both parties, whose SDPs are sdpA and sdpB. The
// parties are kept apart from now on and the prompt starts once ready is
// closed (the caller's ACK; nil: at once).
func (m *CallMedia) AnnounceRecording(ctx context.Context, log *slog.Logger, samples []int16, sdpA, sdpB []byte, ready <-chan struct{}) {
	if len(samples) == 0 || m.Relay == nil {
		return
	}
	ptA, ptB, err := media.PromptPayloadTypes(sdpA, sdpB)
	if err != nil {
		log.Warn("recording announcement not played", "error", err)
		return
	}
	m.Relay.Mute(true) // Announce unmutes when it ends
	m.playAnnouncement(ctx, log, m.Relay, &Announcement{Samples: samples, PtA: ptA, PtB: ptB, Why: "recording started"}, ready)
}

// TransferAnnouncement is what to play on the relay a transfer is about
// to build between the transferee p and the new party t, nil when the
// call is not recorded or no announcement (samples) is configured. Both
// parties hear it: the relay mutes both ways while a prompt plays, so the
// transferee would sit through it in silence anyway, and it may have been
// cut short the first time by a quick transfer. The transferee keeps its
// side of the relay (pOnB says it is the B side), so t takes the side p
// is not on.
func (m *CallMedia) TransferAnnouncement(log *slog.Logger, samples []int16, p, t *CallLeg, pOnB bool) *Announcement {
	if m.Recorder == nil || len(samples) == 0 || p == nil || t == nil {
		return nil
	}
	// A blind transfer offers t what p gave (t answers p's SDP); an
	// attended one joins two negotiations, and a G.711 codec both parties
	// listed is one each can receive.
	ptP, ptT, err := media.PromptPayloadTypes(p.SDP, t.SDP)
	if err != nil {
		log.Warn("recording announcement not played to the transfer target", "leg_id", t.CDR.LegID, "error", err)
		return nil
	}
	if pOnB {
		return &Announcement{Samples: samples, PtA: ptT, PtB: ptP, Why: "transfer"}
	}
	return &Announcement{Samples: samples, PtA: ptP, PtB: ptT, Why: "transfer"}
}

// playAnnouncement plays ann on relay, which the caller has muted, once
// ready is closed (nil: at once), in a goroutine of its own: the call's
// loop goes on taking hang-ups and transfers meanwhile. The prompt ends
// with ctx, with the call (stopAnnouncement), when the relay closes or
// detaches in a transfer, or when another announcement replaces it.
func (m *CallMedia) playAnnouncement(ctx context.Context, log *slog.Logger, relay *media.Relay, ann *Announcement, ready <-chan struct{}) {
	m.stopAnnouncement()
	ctx, cancel := context.WithCancel(ctx)
	m.announceCancel = cancel
	go func() {
		defer cancel()
		if ready != nil {
			select {
			case <-ready:
			case <-ctx.Done():
				return // the call is ending: stay muted (see Relay.Announce)
			}
		}
		err := relay.Announce(ctx, ann.Samples, ann.PtA, ann.PtB)
		switch {
		case err == nil:
			log.Info("recording announced", "because", ann.Why, "seconds", float64(len(ann.Samples))/8000)
		case ctx.Err() != nil || errors.Is(err, media.ErrClosed):
			log.Debug("recording announcement cut short", "because", ann.Why, "error", err)
		default:
			log.Warn("recording announcement", "because", ann.Why, "error", err)
		}
	}()
}

// stopAnnouncement ends an announcement still playing (a party hung up).
func (m *CallMedia) stopAnnouncement() {
	if m.announceCancel != nil {
		m.announceCancel()
		m.announceCancel = nil
	}
}
