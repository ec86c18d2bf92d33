package main

import (
	"slices"
	"testing"

	"github.com/relaylab/relaylab/probe"
)

// The API's probe changes carry what the webhook's do: a listing's
// meaning, TXT and delisting URL, an inherited DMARC record's domain.
func TestProbeChangeDTOKeepsDetails(t *testing.T) {
	t.Parallel()
	c := probe.Change{ID: 1, Kind: "listed", Meaning: []string{"spam source"}, Reason: "see https://bl.test/x", DelistURL: "https://bl.test/x",
		InheritedFrom: "shop.test", Note: "now the organisational domain's"}
	d := probeChangeDTO(c)
	if !slices.Equal(d.Meaning, c.Meaning) || d.Reason != c.Reason || d.DelistURL != c.DelistURL || d.InheritedFrom != c.InheritedFrom || d.Note != c.Note {
		t.Errorf("probeChangeDTO(%+v) = %+v; want the details kept", c, d)
	}
}
