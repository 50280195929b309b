package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/dialtone/dialtone/api"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/console"
)

// mountConsole serves the web console at / on the API's listener. The
// console reads everything through the API's own /v1 chain
// (Server.ConsoleAPI), so its pages get exactly what the signed-in
// user's token would.
func mountConsole(ctx context.Context, srv *api.Server, auth *api.Auth, running *atomic.Pointer[config.Config], log *slog.Logger) error {
	c, err := console.New(console.Options{API: srv.ConsoleAPI(), Logger: log, Context: ctx,
		CheckPassword: func(ext, password string) bool {
			return auth.CheckSIPPassword(running.Load().SIP.Domain, ext, password)
		}})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	srv.Mount("/", c)
	return nil
}
