//go:build !unix

package main

import (
	"log/slog"

	"github.com/dialtone/dialtone/config"
)

// raiseOpenFiles has no limit to raise here, nor one to tell.
func raiseOpenFiles(*config.Config, *slog.Logger) uint64 { return 0 }
