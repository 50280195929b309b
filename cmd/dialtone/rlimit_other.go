//go:build !unix

package main

import (
	"log/slog"

	"github.com/dialtone/dialtone/config"
)

// raiseOpenFiles has no limit to raise here.
func raiseOpenFiles(*config.Config, *slog.Logger) {}
