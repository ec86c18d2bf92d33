package main

import (
	"log/slog"

	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/sink/authcheck"
)

// sinkVerifier is the Verifier for sink.Options when sink.verify is on,
// and nil when it is off (authcheck.New, which a replay's sink shares).
func sinkVerifier(cfg sink.VerifyConfig, log *slog.Logger) sink.Verifier {
	return authcheck.New(cfg, log)
}
