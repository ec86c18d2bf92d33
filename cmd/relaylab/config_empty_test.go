package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigWithNoDocument: a configuration file with no YAML document in
// it (only a comment, only "---") sets nothing, as an empty file does,
// for config and for the commands that read a store with --config, instead
// of failing with "EOF".
func TestConfigWithNoDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, _ := queueStore(t, "queued")
	for i, in := range []string{"", "# empty\n", "---\n", "# relaylab\n---\n# nothing set yet\n...\n"} {
		path := filepath.Join(dir, "c"+string(rune('0'+i))+".yaml")
		if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runIn(t, context.Background(), "config", "--config", path)
		if code != 0 || !strings.Contains(out, "listen: 127.0.0.1:2587") {
			t.Errorf("config --config with %q: exit %d, stderr %q, stdout:\n%s", in, code, errOut, out)
		}
		for _, args := range [][]string{{"queue", "list"}, {"suppress", "list"}} {
			args = append(args, "--config", path, "--db", db)
			if code, _, errOut := runIn(t, context.Background(), args...); code != 0 {
				t.Errorf("%v with %q: exit %d, stderr %q", args, in, code, errOut)
			}
		}
	}
}
