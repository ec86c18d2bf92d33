package main

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/relay"
)

// printedRetry is the retry policy as config prints it: run, the values
// the relay runs with (relay.Config.WithDefaults), and the preset only
// where it is in force. A file that sets a kind other than its preset's
// (the default preset is postfix) runs that kind; the preset then fills
// only the limits the file leaves out, so printing "preset: postfix"
// beside "kind: list" would say the Postfix policy applies. The preset
// is then printed empty, every value it filled is printed as a value,
// and the comment says which those are. file is the policy as the file
// gives it.
func printedRetry(file, run relay.RetryConfig) (relay.RetryConfig, *yaml.Comment) {
	r := run
	if r.Preset == "" {
		return r, nil
	}
	if (relay.RetryConfig{Preset: r.Preset}).Resolved().Kind == r.Kind {
		return r, nil
	}
	var filled []string
	if file.MaxAge != r.MaxAge {
		filled = append(filled, "max_age "+config.FormatDuration(r.MaxAge.D()))
	}
	if file.BounceMaxAge != r.BounceMaxAge {
		filled = append(filled, "bounce_max_age "+config.FormatDuration(r.BounceMaxAge.D()))
	}
	note := fmt.Sprintf(" the file's kind %s replaces the %s preset", r.Kind, r.Preset)
	if len(filled) > 0 {
		note += fmt.Sprintf(", which filled only %s", strings.Join(filled, " and "))
	}
	r.Preset = ""
	return r, yaml.LineComment(note)
}
