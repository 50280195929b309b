package billing

import (
	"encoding/json"
	"strconv"
	"time"
)

// marshalCDR is json.Marshal(c), byte for byte, without reflection: the
// CDR writer encodes every leg twice (opened, ended), and encoding/json
// was a fifth of its work. The recording (rare) and
// any time the shortcut does not cover (outside UTC, or a year
// encoding/json refuses) go through encoding/json. A field added to CDR
// and not here fails TestMarshalCDRIsEncodingJSON.
func marshalCDR(c *CDR) ([]byte, error) {
	if !plainTime(c.CreatedAt) || !plainTime(c.EndedAt) || (c.AnsweredAt != nil && !plainTime(*c.AnsweredAt)) {
		return json.Marshal(c)
	}
	b := make([]byte, 0, 512)
	b = appendField(b, `{"leg_id":`, c.LegID)
	b = appendField(b, `,"call_id":`, c.CallID)
	b = appendOptional(b, `,"parent_leg_id":`, c.ParentLegID)
	b = appendField(b, `,"direction":`, string(c.Direction))
	b = appendField(b, `,"endpoint":`, string(c.Endpoint))
	b = appendField(b, `,"billing_class":`, string(c.BillingClass))
	b = appendField(b, `,"reason":`, string(c.Reason))
	b = appendField(b, `,"from":`, c.From)
	b = appendField(b, `,"to":`, c.To)
	b = appendOptional(b, `,"caller_id":`, c.CallerID)
	b = appendOptional(b, `,"user":`, c.User)
	b = appendOptional(b, `,"phone_number":`, c.PhoneNumber)
	b = appendOptional(b, `,"trunk":`, c.Trunk)
	b = appendTime(append(b, `,"created_at":`...), c.CreatedAt)
	if c.AnsweredAt != nil {
		b = appendTime(append(b, `,"answered_at":`...), *c.AnsweredAt)
	}
	b = appendTime(append(b, `,"ended_at":`...), c.EndedAt)
	b = strconv.AppendInt(append(b, `,"billable_seconds":`...), c.BillableSecs, 10)
	b = appendField(b, `,"disposition":`, string(c.Disposition))
	b = strconv.AppendInt(append(b, `,"sip_code":`...), int64(c.SIPCode), 10)
	b = appendOptional(b, `,"refuse_reason":`, c.RefuseReason)
	if c.Charge != nil {
		b = appendCharge(append(b, `,"charge":`...), c.Charge)
	}
	if m := c.Media; m != nil {
		b = strconv.AppendUint(append(b, `,"media":{"packets_in":`...), m.PacketsIn, 10)
		b = strconv.AppendUint(append(b, `,"bytes_in":`...), m.BytesIn, 10)
		b = strconv.AppendUint(append(b, `,"packets_out":`...), m.PacketsOut, 10)
		b = strconv.AppendUint(append(b, `,"bytes_out":`...), m.BytesOut, 10)
		b = strconv.AppendUint(append(b, `,"dropped":`...), m.Dropped, 10)
		b = strconv.AppendUint(append(b, `,"refused_packets":`...), m.RefusedPackets, 10)
		b = append(b, '}')
	}
	if c.Recording != nil {
		var err error
		if b, err = appendJSON(append(b, `,"recording":`...), c.Recording); err != nil {
			return nil, err
		}
	}
	b = appendOptional(b, `,"campaign_id":`, c.CampaignID)
	b = appendOptional(b, `,"lead_id":`, c.LeadID)
	b = appendOptional(b, `,"attempt_id":`, c.AttemptID)
	return append(b, '}'), nil
}

func appendField(b []byte, key, s string) []byte {
	return appendJSONString(append(b, key...), s)
}

// appendOptional is an omitempty string field.
func appendOptional(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendField(b, key, s)
}

func appendJSON(b []byte, v any) ([]byte, error) {
	enc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

// plainTime reports whether t encodes as its RFC 3339 form in UTC, which
// is what Time.MarshalJSON writes for it.
func plainTime(t time.Time) bool {
	return t.Location() == time.UTC && t.Year() >= 0 && t.Year() <= 9999
}

func appendTime(b []byte, t time.Time) []byte {
	return append(t.AppendFormat(append(b, '"'), time.RFC3339Nano), '"')
}
