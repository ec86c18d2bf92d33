package web

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestReceivedPageSpec: every key of /api/v1/messages/{id}/received's
// answer, gone and the keys of its items included, is in openapi.yaml's
// ReceivedPage, described.
func TestReceivedPageSpec(t *testing.T) {
	t.Parallel()
	page := ReceivedPage{Message: "m", MessageID: "x@y", Received: Received{
		Copies: []SinkCopy{{}}, Attempts: []ReceivedAttempt{{}}, Gone: []GoneCopy{{ID: "1", Recipient: "a@b", Reply: "250 ok"}}}}
	b, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	props, ok := specProperties(t, "ReceivedPage")
	if !ok {
		t.Fatal("openapi.yaml has no ReceivedPage")
	}
	for k := range got {
		if _, ok := props[k]; !ok {
			t.Errorf("ReceivedPage: %q is in the answer, not in openapi.yaml", k)
		}
	}
	var doc struct {
		Components struct {
			Schemas struct {
				ReceivedPage struct {
					Properties struct {
						Gone struct {
							Description string `yaml:"description"`
							Items       struct {
								Properties map[string]struct {
									Description string `yaml:"description"`
								} `yaml:"properties"`
							} `yaml:"items"`
						} `yaml:"gone"`
					} `yaml:"properties"`
				} `yaml:"ReceivedPage"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	gone := doc.Components.Schemas.ReceivedPage.Properties.Gone
	if gone.Description == "" {
		t.Errorf("ReceivedPage.gone has no description")
	}
	var keys []string
	for k, p := range gone.Items.Properties {
		keys = append(keys, k)
		if p.Description == "" {
			t.Errorf("ReceivedPage.gone[].%s has no description", k)
		}
	}
	slices.Sort(keys)
	var want []string
	for k := range jsonFields(GoneCopy{}) {
		want = append(want, k)
	}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("ReceivedPage.gone[] documents %v, the answer has %v", keys, want)
	}
}
