package console

import (
	"net/http"
	"net/url"
	"sort"
)

// campaignSummary is a campaign as the list shows it.
type campaignSummary struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Mode       string `json:"mode"`
	State      string `json:"state"`
	StateSince string `json:"state_since"`
	CallerID   string `json:"caller_id"`
}

// campaign is one campaign's report (GET /v1/campaigns/{id}).
type campaign struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Mode        string `json:"mode"`
	State       string `json:"state"`
	PauseReason string `json:"pause_reason"`
	StateSince  string `json:"state_since"`
	CallerID    string `json:"caller_id"`
	Leads       struct {
		Total     int `json:"total"`
		Remaining int `json:"remaining"`
		Done      int `json:"done"`
		Blocked   int `json:"blocked"`
	} `json:"leads"`
	Attempts map[string]int `json:"attempts"`
	Agents   []agent        `json:"agents"`
	Roster   []string       `json:"roster"`
	// Abandon is the dialer's own count over the campaign's window (kept
	// across restarts), against the campaign's limit (predictive only).
	Abandon struct {
		Rate   float64 `json:"rate"`
		Limit  float64 `json:"limit"`
		Window string  `json:"window"`
		Pacing string  `json:"pacing"`
	} `json:"abandon"`
	DialsPerHour float64 `json:"dials_per_agent_hour"`
}

type agent struct {
	User        string `json:"user"`
	State       string `json:"state"`
	TimeInState string `json:"time_in_state"`
	Dials       int    `json:"dials"`
	Connects    int    `json:"connects"`
	TalkTime    string `json:"talk_time"`
}

type outcome struct {
	Name  string
	Count int
}

// campaignView adds what the page computes: attempts by outcome in order,
// and whether the abandon rate has reached its limit.
type campaignView struct {
	campaign
	Outcomes  []outcome
	OverLimit bool
}

func viewCampaign(cp campaign) campaignView {
	v := campaignView{campaign: cp}
	for name, n := range cp.Attempts {
		v.Outcomes = append(v.Outcomes, outcome{name, n})
	}
	sort.Slice(v.Outcomes, func(i, j int) bool { return v.Outcomes[i].Name < v.Outcomes[j].Name })
	v.OverLimit = cp.Abandon.Limit > 0 && cp.Abandon.Rate >= cp.Abandon.Limit
	return v
}

func (c *Console) handleCampaigns(w http.ResponseWriter, r *http.Request, s *session) {
	var list struct {
		Campaigns []campaignSummary `json:"campaigns"`
	}
	if err := c.getJSON(r.Context(), s, "/v1/campaigns", &list); err != nil {
		c.fail(w, r, s, "campaigns", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "campaigns", page{Title: "Campaigns", Tab: "campaigns", Data: list.Campaigns})
}

func (c *Console) campaign(r *http.Request, s *session) (campaignView, error) {
	var cp campaign
	err := c.getJSON(r.Context(), s, "/v1/campaigns/"+url.PathEscape(r.PathValue("id")), &cp)
	return viewCampaign(cp), err
}

// handleCampaign shows one campaign; /campaigns/{id}/live keeps it live.
func (c *Console) handleCampaign(w http.ResponseWriter, r *http.Request, s *session) {
	v, err := c.campaign(r, s)
	if err != nil {
		c.fail(w, r, s, "campaigns", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "campaign", page{Title: "Campaign " + v.Name, Tab: "campaigns", Data: v})
}

func (c *Console) handleCampaignLive(w http.ResponseWriter, r *http.Request, s *session) {
	c.serveLive(w, r, func() (string, error) {
		v, err := c.campaign(r, s)
		if err != nil {
			return "", err
		}
		return c.renderBlock("campaign", "live", page{CSRF: s.csrf, Data: v})
	})
}

// handleCampaignAction starts, pauses or stops a campaign through the API.
func (c *Console) handleCampaignAction(w http.ResponseWriter, r *http.Request, s *session) {
	action, id := r.PathValue("action"), r.PathValue("id")
	switch action {
	case "start", "pause", "stop":
	default:
		http.NotFound(w, r)
		return
	}
	if err := c.doJSON(r.Context(), s, http.MethodPost, "/v1/campaigns/"+url.PathEscape(id)+"/"+action, nil, nil, nil); err != nil {
		c.fail(w, r, s, "campaigns", err)
		return
	}
	http.Redirect(w, r, "/campaigns/"+url.PathEscape(id), http.StatusSeeOther)
}
