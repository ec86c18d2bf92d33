package sink

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// TestStoreFailedReply: a message the store refuses for a full disk gets
// 452 4.3.1, insufficient system storage (RFC 5321 4.2.2, RFC 3463 X.3.1),
// as Postfix answers, saying why; any other store failure a 451 4.3.0
// that says the store failed. Both said only "could not store".
func TestStoreFailedReply(t *testing.T) {
	t.Parallel()
	full := storeFailed(fmt.Errorf("store: commit: %w", sqlite3.Error{Code: sqlite3.ErrFull}))
	if full.Code != 452 || full.EnhancedCode != [3]int{4, 3, 1} || !strings.Contains(full.Message, "full disk") {
		t.Errorf("full disk: %d %v %q, want 452 4.3.1 naming the full disk", full.Code, full.EnhancedCode, full.Message)
	}
	other := storeFailed(errors.New("store: the file was deleted"))
	if other.Code != 451 || other.EnhancedCode != [3]int{4, 3, 0} || !strings.Contains(other.Message, "its store failed") {
		t.Errorf("other failure: %d %v %q, want 451 4.3.0 saying the store failed", other.Code, other.EnhancedCode, other.Message)
	}
}
