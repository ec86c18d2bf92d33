package main

import "testing"

// TestSecondReadersTakeMergeKeys: the commands' second looks at a file
// that Decode has read (whether sink.bounce.relay is written out, here)
// read a mapping's own key beside a merge key as Decode does, not as a
// duplicate that made them fall back to their defaults.
func TestSecondReadersTakeMergeKeys(t *testing.T) {
	t.Parallel()
	data := []byte("base: &b {relay: \"127.0.0.1:1\", after: 1m}\nsink:\n  bounce: {<<: *b, relay: \"127.0.0.1:2587\"}\n")
	if !setsBounceRelay(data) {
		t.Error("sink.bounce.relay written beside a merge key is not seen")
	}
}
