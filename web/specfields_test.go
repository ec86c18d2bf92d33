package web

import (
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// specProperties are the properties of schema name in openapi.yaml, each
// with its description ("" when it has none, as a $ref has); ok is false
// when the spec has no such schema.
func specProperties(t *testing.T, name string) (props map[string]string, ok bool) {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Description string `yaml:"description"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	schema, ok := doc.Components.Schemas[name]
	if !ok {
		return nil, false
	}
	props = map[string]string{}
	for k, p := range schema.Properties {
		props[k] = p.Description
	}
	return props, true
}

// jsonFields maps the JSON names of struct v's fields to their Go names.
func jsonFields(v any) map[string]string {
	out := map[string]string{}
	typ := reflect.TypeOf(v)
	for i := range typ.NumField() {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		out[key] = typ.Field(i).Name
	}
	return out
}
