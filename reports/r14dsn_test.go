package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestR14DSNFalseInJSON: as the README says, a DSN that never reached the
// sender shows as "dsn": false, beside dsn_message and dsn_undelivered;
// the key was left out (omitempty), which a reader decoding into a bool
// cannot tell from false, but jq and other readers can. One that reached
// the sender is true; a recipient about whom no DSN was made has no key.
func TestR14DSNFalseInJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		end  string
		want string // the raw value, "" for no key
	}{{"delivered", "true"}, {"expired", "false"}, {"", "false"}} {
		d, err := Load(context.Background(), dsnLog(tc.end))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteJSON(&b, d); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Recipients []map[string]json.RawMessage `json:"recipients"`
		}
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		for _, r := range doc.Recipients {
			got, has := r["dsn"]
			switch addr := string(r["address"]); addr {
			case `"a@x.test"`:
				if !has || string(got) != tc.want {
					t.Errorf("DSN %q: a@x.test has \"dsn\": %s (present %v), want %s", tc.end, got, has, tc.want)
				}
			default: // the DSN's own recipient, about whom no DSN was made
				if has {
					t.Errorf("DSN %q: %s has \"dsn\": %s, want no key", tc.end, addr, got)
				}
			}
		}
	}
}
