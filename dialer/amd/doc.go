// Package amd tells a live person from an answering machine on the first
// seconds of a called party's audio, in the spirit of Asterisk's AMD(): a
// per-frame voice-activity decision on energy above a tracked noise floor,
// then rules on the initial silence, the length of the greeting, the number
// of words and the silence after the greeting.
//
// A person picking up says something short ("Hello?") and then waits for
// the caller: a greeting of a word or two followed by a long silence. A
// machine plays a recorded greeting: long, nearly continuous speech with
// only short pauses between words and sentences. The Detector decides
// within Config.TotalAnalysisTime (3 s by default), erring towards
// Unsure (an agent takes the call) rather than Machine, because hanging up
// on a person is the costly error: it counts as an abandoned call.
//
// For a campaign that leaves voicemail, BeepOrEnd then follows a machine's
// greeting to the beep (a steady tone) or, failing one, to the silence at
// the end of the greeting, and tells when to start playing the message.
//
// Both are fed 20 ms frames of 8 kHz linear PCM (decoded G.711, see
// media.ULawToLinear) with the time since answer; they are deterministic,
// and Feed does not allocate.
package amd
