package main

import (
	"github.com/relaylab/relaylab/internal/smtpload"
)

// loadData reads load's --data file into cfg.Data, in wire form, and
// refuses the flags it would make meaningless: --size (the file is the
// message) and --header (the file's header is sent as it is).
func loadData(e *env, cfg *smtpload.Config, name string, set map[string]bool) error {
	for _, other := range []string{"size", "header"} {
		if set[other] {
			return usageError("--data and --%s exclude each other: --data sends the file as the whole message, so --%s would be ignored", other, other)
		}
	}
	b, err := readInput(e, name)
	if err != nil {
		return inputError("data", name, err)
	}
	if len(b) > maxLoadSize {
		return usageError("--data %s: %d octets, at most %d (1 GiB); every session sends the same message, held in memory", name, len(b), maxLoadSize)
	}
	cfg.Data = smtpload.WireFormat(b)
	cfg.Size = 0
	if err := smtpload.CheckData(cfg.Data); err != nil {
		return usageError("--data %s: %v", name, err)
	}
	return nil
}
