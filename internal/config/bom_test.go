package config

import (
	"strings"
	"testing"
)

// TestDecodeByteOrderMark: a file that starts with a UTF-8 byte order
// mark (YAML 1.2 allows one; editors on Windows write it) decodes as the
// same file without it, and an error on its first line is placed as in
// that file. Before, the mark was read into the first key: `unknown
// field "\ufeffname"`.
func TestDecodeByteOrderMark(t *testing.T) {
	t.Parallel()
	type file struct {
		Name  string `yaml:"name"`
		Count int    `yaml:"count"`
	}
	var f file
	if err := Decode("bom.yaml", []byte("\xef\xbb\xbfname: x\ncount: 2\n"), &f); err != nil || f.Name != "x" || f.Count != 2 {
		t.Errorf("a file with a byte order mark: %+v, %v", f, err)
	}
	err := Decode("bom.yaml", []byte("\xef\xbb\xbfnmae: x\n"), &f)
	if err == nil || !strings.HasPrefix(err.Error(), "bom.yaml:1:1: nmae: unknown field \"nmae\"") || strings.Contains(err.Error(), "\ufeff") {
		t.Errorf("an unknown first key after a byte order mark: %v", err)
	}
	var m map[string]any
	if err := Unmarshal([]byte("\xef\xbb\xbfname: x\n"), &m); err != nil || m["name"] != "x" {
		t.Errorf("Unmarshal with a byte order mark: %v, %v", m, err)
	}
}
