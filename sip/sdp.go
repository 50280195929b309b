package sip

import (
	"errors"
	"fmt"

	"github.com/pion/sdp/v3"
)

var errNoAudio = errors.New("no audio stream offered")

// checkOffer validates an SDP offer before the switch forwards it: a body
// the far end cannot parse would only fail there, after a leg was placed
// and metered. It returns a callError naming the problem, or the parsed
// offer (anchoring the call's media reads it again).
func checkOffer(body []byte) (*sdp.SessionDescription, error) {
	sd := &sdp.SessionDescription{}
	if err := sd.UnmarshalString(string(body)); err != nil {
		return nil, &callError{Code: 400, Phrase: "Bad Request", Reason: "malformed SDP", Err: fmt.Errorf("parse sdp: %w", err)}
	}
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 && len(m.MediaName.Formats) > 0 {
			return sd, nil
		}
	}
	return nil, &callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "no audio stream offered", Err: errNoAudio}
}
