package web

import (
	"testing"

	"github.com/goccy/go-yaml"
)

// TestFX22SinkAttemptFieldsAreTheSpecs: every field of an attempt that
// /api/v1/sink/attempts answers (message_id among them, which relaylab
// expect --url ties a sender's retries by) is in the spec's attempt, and
// every property the spec gives an attempt is a field.
func TestFX22SinkAttemptFieldsAreTheSpecs(t *testing.T) {
	t.Parallel()
	type props = map[string]struct {
		Description string `yaml:"description"`
	}
	var doc struct {
		Paths map[string]struct {
			Get struct {
				Responses map[string]struct {
					Content map[string]struct {
						Schema struct {
							Properties struct {
								Attempts struct {
									Items struct {
										Properties props `yaml:"properties"`
									} `yaml:"items"`
								} `yaml:"attempts"`
							} `yaml:"properties"`
						} `yaml:"schema"`
					} `yaml:"content"`
				} `yaml:"responses"`
			} `yaml:"get"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	spec := doc.Paths["/api/v1/sink/attempts"].Get.Responses["200"].Content["application/json"].Schema.Properties.Attempts.Items.Properties
	if len(spec) == 0 {
		t.Fatal("openapi.yaml gives /api/v1/sink/attempts's 200 no attempts[] properties: the path or its schema moved; update this test")
	}
	fields := jsonFields(SinkAttempt{})
	fields["id"] = "PagedAttempt.ID" // a page's attempts have their ids
	for key := range fields {
		if p, ok := spec[key]; !ok {
			t.Errorf("SinkAttempt's %s (JSON %q) is not in openapi.yaml's /api/v1/sink/attempts attempts[]: add it there", fields[key], key)
		} else if key == "message_id" && p.Description == "" {
			t.Errorf("the spec's attempts[].message_id has no description")
		}
	}
	for key := range spec {
		if _, ok := fields[key]; !ok {
			t.Errorf("openapi.yaml's /api/v1/sink/attempts attempts[].%s is no field of SinkAttempt: remove it, or add the field", key)
		}
	}
}
