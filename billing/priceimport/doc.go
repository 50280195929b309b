// Package priceimport builds rate decks from carriers' price lists. Today
// one carrier: Twilio, whose Pricing API gives outbound voice prices by
// destination prefix (and origination prefix), inbound voice prices by
// number type (Voice v2), SMS prices (Messaging v1) and monthly number
// prices (PhoneNumbers v1).
//
// It only builds a billing.Deck: it does not rate, does not write the CSV
// (cmd/dialtone's `dialtone rates import` writes it, through a temporary
// file so a failed import never leaves half a deck where a config points)
// and never runs inside the switch: a deck is imported offline, read and
// edited by a person, then named in the config. The API has no MMS prices:
// mms-out and mms-in rows are added by hand.
//
// # Where it sits
//
// Beside billing, below the command: it imports billing (Deck, Rate, the
// kinds and number types), twilio-go's pricing services and
// nyaruka/phonenumbers for calling codes. Only cmd/dialtone calls it.
//
// # Concepts
//
//   - Twilio(TwilioOptions): the deck for the countries asked (ISO codes;
//     none asks the API for every country it lists). The client is built
//     from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN unless one is given
//     (the tests give one that talks to a fake Pricing API). A country the API does not price is skipped
//     and logged; prices in two currencies refuse the import.
//   - Rows: one per kind, origin, prefix and number type. Where several
//     API entries map to one row (two origination prefixes of one country,
//     SMS priced per destination carrier, which a text does not know in
//     advance) the dearest price is kept. Every row gets the deck's default billing
//     increments (per started minute, rounded up to the cent, as Twilio
//     bills).
//   - Origins: an origination prefix maps to the main country of its
//     calling code (a NANP prefix such as 1204 counts as the US; refine
//     such rows by hand), "ALL" to every origin; outbound prices whose
//     name says mobile become mobile rows.
//
// # Why the prices are read twice
//
// twilio-go decodes prices into float32. Converting through float64 would
// turn 0.014 into 0.014000000432133675, so prices are converted with
// decimal.NewFromFloat32, which gives the shortest decimal that is the
// same float32: the price as the API wrote it. And a null price makes
// twilio-go's decoder fail the whole country: on a decode error the
// resource is fetched again through the same client and read leniently,
// prices exactly from their JSON text, skipping only the null ones.
//
// # Use
//
//	deck, err := priceimport.Twilio(priceimport.TwilioOptions{Countries: []string{"US", "GB"}})
//	// then deck.WriteCSV(w, comments...) and review it before a config names it
package priceimport
