// Package voicemail keeps the users' mailboxes and runs the two
// dialogues a caller has with one: leaving a message (Deposit) and a user
// hearing their own (Listen).
//
// It knows nothing of SIP. Package sip answers the caller's leg with the
// switch's own media end (a media.Endpoint), feeds it the keys the phone
// sends as SIP INFO, hands it to Deposit or Listen with a context that
// ends when the caller hangs up, and hangs up when the dialogue returns;
// the leg's CDR and its credit are sip's too. So the dialogues are
// written against a small Endpoint interface (play, record, keys) and
// tested with a fake one, without a network.
//
// # Concepts
//
//   - Message: one message, its index entry kept by a Store (bbolt in the
//     binary, key user/id) and its audio a mono WAV file under the data
//     directory (voicemail/<extension>/<id>.wav). A message is new until
//     its user has heard it, then saved (Heard).
//   - Mailboxes: every mailbox, by the user's extension. The API lists,
//     fetches and deletes messages through it (Messages, Audio, Delete),
//     naming users by extension or name (a Directory resolves them);
//     package sip reads Counts for the message-waiting lamps.
//   - Notifier: told whenever a mailbox changes (a message left, heard or
//     deleted), so package sip NOTIFYs the subscribed phones (RFC 3842).
//   - Deposit: the greeting (the user's recorded WAV, or a generated one),
//     then a recording that #, silence (sip.voicemail_silence) or the
//     maximum length (sip.voicemail_max_length) ends; under half a second
//     is no message.
//   - Listen: a spoken summary ("you have two new messages and one saved
//     message"), then the new messages and the saved ones, each group
//     oldest first; 7 deletes the message playing, 9 saves it, any other
//     key skips to the next.
//
// Errors: ErrNoMailbox for a user the directory does not know,
// ErrNoMessage for an id the mailbox does not hold (the API answers both
// 404).
package voicemail
