// Package messaging carries texts: SIP MESSAGE between phones and the
// switch, SMS and MMS to and from the public network through a carrier
// (Twilio), the CRM's API, delivery status and the persisted outbox.
//
// It is the texts' business logic; it is not their transport or their
// price. Package sip receives and sends the MESSAGE requests (digest
// auth, delivery to every registered phone of a user) and hands the
// texts phones send to this package's Service; the carrier is an
// interface (Carrier, with Twilio as its implementation); segments,
// prices and charges are billing's (billing.Texts behind Meter); the
// CRM's events go out through the switch's one webhook outbox (behind
// Notifier). Texts place no calls and know no calls.
//
// # Where it sits
//
// Above sip and billing, beside the dialer: it imports sip (the
// MessageHandler contract and its text types), billing (text records and
// charges), config (users, roles, numbers' sms flags, the twilio
// section), phone and jsonbody. cmd/dialtone builds the Service, starts
// it and installs it as the switch's MessageHandler; api mounts
// APIRoutes (/v1/messages, behind the bearer token) and WebhookRoutes
// (Twilio's, outside it: they carry Twilio's signature instead).
//
// # Concepts
//
//   - Message: one text in either direction (outbound, inbound, internal
//     between users), with the organization's number it went through, the
//     peer, its state and the carrier's id (SID). Outbound states go
//     queued, sending, sent, then delivered, undelivered or failed
//     (Twilio's words) and never move backwards, so a late or replayed
//     status callback changes nothing; inbound and internal texts are
//     received, then delivered once a phone took them.
//   - Send: a text from a phone (FromPhone) or the API, checked against
//     every rule before the carrier sees it: the sms (mms) permission, an
//     SMS-enabled sending number, the countries, MMS only in the US and
//     Canada, opt-outs, the body, and the credit for the segments it will
//     use. A refusal is a Refusal naming its rule (its SIP code and reason
//     to a phone, 422, 403 or 402 to the API) and costs nothing. The API's
//     Idempotency-Key makes a repeated POST return the first text.
//   - Texts between users go to every registered phone of the recipient;
//     a user with none registered gets them, in order, when a phone next
//     registers (PhoneRegistered), kept in the store across restarts.
//   - The outbox: outbound texts queue in the store, one lane per sending
//     number at twilio.rate_per_number. A text stays queued until the
//     carrier takes or refuses it, so a restart resumes where it was; it
//     is checked for credit again as it goes out, so a long queue cannot
//     spend more than the balance.
//   - Receive and UpdateStatus: what Twilio's webhooks bring (signature
//     checked first: a bad one stores nothing). An inbound text goes to
//     the number's owner, or a group's members; STOP and its synonyms opt
//     the sender out of that number, START lifts it.
//   - Charges are keyed by the carrier's SID (text:<SID>): a retried send,
//     a replayed webhook or a crash between the carrier's acceptance and
//     the posting (Start posts what a crash left) charges once.
//   - Events: each state change and each text received is a
//     message.status event for the CRM, handed to the Notifier, which
//     returns once the event is persisted.
//
// One known gap: Twilio takes no idempotency key on a send, so a crash
// while Twilio is answering one sends that text again after the restart.
//
// # Use
//
//	store, _ := messaging.OpenBoltStore(db)
//	svc, err := messaging.New(messaging.Options{Store: store, Phones: sw, Config: running.Load,
//		Meter: meter.Texts(), Carrier: twilio, Notifier: notifier})
//	err = svc.Start(ctx) // posts unposted charges, runs the outbox
//	sw.SetMessageHandler(svc)
//	svc.APIRoutes(v1, caller) // and svc.WebhookRoutes(mux) outside the token
//
// The README's "Texts: SMS, MMS and SIP MESSAGE" section has the rules,
// the API and the webhooks as a user sees them.
package messaging
