package console

import "testing"

func TestCampaignViewFlagsTheAbandonLimit(t *testing.T) {
	tests := []struct {
		name        string
		rate, limit float64
		over        bool
	}{
		{"a power campaign has no limit", 0.5, 0, false},
		{"under the limit", 0.02, 0.03, false},
		{"at the limit", 0.03, 0.03, true},
	}
	for _, tt := range tests {
		var cp campaign
		cp.Abandon.Rate, cp.Abandon.Limit = tt.rate, tt.limit
		cp.Attempts = map[string]int{"no-answer": 2, "answered": 1}
		v := viewCampaign(cp)
		if v.OverLimit != tt.over || len(v.Outcomes) != 2 || v.Outcomes[0].Name != "answered" {
			t.Errorf("%s: %+v", tt.name, v)
		}
	}
}
