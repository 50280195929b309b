package api

import (
	"net/http"
	"net/http/pprof"
)

// pprofHandler serves the runtime profiles under /debug/pprof/, mounted
// explicitly (importing net/http/pprof for its side effect would put them
// on http.DefaultServeMux, without a token). Profiles show call targets
// and memory contents' shapes, so New serves it to organization tokens only.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // also the named profiles: heap, allocs, goroutine, ...
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
