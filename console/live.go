package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// serveLive streams server-sent events: every LivePeriod it renders the
// block and sends it when it changed. The browser swaps it in.
func (c *Console) serveLive(w http.ResponseWriter, r *http.Request, block func() (string, error)) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(c.opts.LivePeriod)
	defer tick.Stop()
	last := ""
	for {
		html, err := block()
		if err != nil {
			fmt.Fprintf(w, "event: failed\ndata: %s\n\n", strings.ReplaceAll(err.Error(), "\n", " "))
			flusher.Flush()
			return
		}
		if html != last {
			last = html
			_, _ = w.Write([]byte("data: " + strings.ReplaceAll(html, "\n", "\ndata: ") + "\n\n"))
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-c.opts.Context.Done():
			return
		case <-tick.C:
		}
	}
}
