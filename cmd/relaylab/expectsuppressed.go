package main

import (
	"context"
	"time"

	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/reports"
)

// suppressionLister is where expect reads the relay's suppression list:
// a serve's store (--db) or its API (--url).
type suppressionLister interface {
	suppressionList(ctx context.Context) ([]reports.Suppression, error)
}

var (
	_ suppressionLister = sinkAttempts{}
	_ suppressionLister = remoteAttempts{}
)

func (s sinkAttempts) suppressionList(ctx context.Context) ([]reports.Suppression, error) {
	list, err := relay.ReadSuppressions(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make([]reports.Suppression, 0, len(list))
	for _, e := range list {
		out = append(out, reports.Suppression{Address: e.Address, Reason: e.Reason, Since: e.Created})
	}
	return out, nil
}

func (r remoteAttempts) suppressionList(ctx context.Context) ([]reports.Suppression, error) {
	var page struct {
		Suppressions []struct {
			Address string    `json:"address"`
			Reason  string    `json:"reason"`
			Since   time.Time `json:"since"`
		} `json:"suppressions"`
	}
	if err := r.get(ctx, "/api/v1/suppressions", "the relay's suppression list", &page); err != nil {
		return nil, err
	}
	out := make([]reports.Suppression, 0, len(page.Suppressions))
	for _, e := range page.Suppressions {
		out = append(out, reports.Suppression{Address: e.Address, Reason: e.Reason, Since: e.Since})
	}
	return out, nil
}

// addSuppressions gives d, a sink's record, the relay's suppressions of
// rel, the relay's record of the same store, with the list as src holds
// it now, for since when and why. The list is read only when the relay
// suppressed some recipient. One that cannot be read leaves the notes
// without since when, rather than failing the judgement: the relay's
// record says what it suppressed and why; a signal still stops it.
func addSuppressions(ctx context.Context, d, rel *reports.Data, src any) error {
	if rel == nil || !hasSuppressed(rel) {
		return nil
	}
	var list []reports.Suppression
	known := false
	if s, ok := src.(suppressionLister); ok {
		var err error
		list, err = s.suppressionList(ctx)
		if err != nil && ctx.Err() != nil {
			return err
		}
		known = err == nil // a serve whose API has no list: not known
	}
	d.AddRelaySuppressions(rel, list, known)
	return nil
}

// hasSuppressed reports whether the relay's record rel has a recipient
// the suppression list stopped.
func hasSuppressed(rel *reports.Data) bool {
	for _, r := range rel.Recipients {
		if r.Status == relay.StateSuppressed {
			return true
		}
	}
	return false
}
