package probe

import "testing"

// DomainName takes an IDN in U-labels and gives it in A-labels (RFC 5890
// 2.3.2.1), as relay.dkim takes it, so that relaylab probe bücher.test
// queries _dmarc.xn--bcher-kva.test.
func TestS16WDDomainNameULabels(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"bücher.test": "xn--bcher-kva.test", "BÜCHER.test.": "xn--bcher-kva.test", "xn--bcher-kva.test": "xn--bcher-kva.test"} {
		if got, err := DomainName(in); err != nil || got != want {
			t.Errorf("DomainName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := DomainName("bü cher.test"); err == nil {
		t.Error("a name with a space taken")
	}
}
