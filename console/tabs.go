package console

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// tabProbes are, per tab, a request the API answers cheaply that its
// permission check would refuse (401, 403) if the tab's page would be
// refused: a bad parameter is 400 after the check, not before it. A
// route the switch does not serve (404) hides the tab too.
var tabProbes = []struct{ tab, path string }{
	{"credit", "/v1/balance"},
	{"usage", "/v1/usage?group_by=-"},
	{"calls", "/v1/call-log?limit=0"},
	{"phones", "/v1/registrations"},
	{"texts", "/v1/messages"},
	{"campaigns", "/v1/campaigns"},
}

// tabOrder is the tabs in the order the navigation shows them.
var tabOrder = []string{"credit", "usage", "calls", "phones", "texts", "campaigns"}

// tabsTTL is how long a session's tabs are kept before they are asked
// again (a reload may change a role).
const tabsTTL = 30 * time.Second

type sessionTabs struct {
	mu    sync.Mutex
	shown map[string]bool
	at    time.Time
}

// tabs says which tabs the session may open.
func (c *Console) tabs(ctx context.Context, s *session) map[string]bool {
	s.tabs.mu.Lock()
	defer s.tabs.mu.Unlock()
	if s.tabs.shown != nil && time.Since(s.tabs.at) < tabsTTL {
		return s.tabs.shown
	}
	shown := map[string]bool{}
	for _, p := range tabProbes {
		code, _, err := c.call(ctx, s, http.MethodGet, p.path, nil, nil)
		shown[p.tab] = err == nil && code != http.StatusUnauthorized && code != http.StatusForbidden && code != http.StatusNotFound
	}
	s.tabs.shown, s.tabs.at = shown, time.Now()
	return shown
}

// firstTab is where / sends the session: the first tab it may open.
func (c *Console) firstTab(ctx context.Context, s *session) string {
	shown := c.tabs(ctx, s)
	for _, t := range tabOrder {
		if shown[t] {
			return "/" + t
		}
	}
	return "/credit" // refused there, with the reason
}
