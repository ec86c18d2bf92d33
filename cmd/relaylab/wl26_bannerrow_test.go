package main

import (
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/relay"
)

// TestWL26BannerRow: the banner's column is 14 while every "sink NAME"
// fits before it, and one past the longest otherwise ("sink selfsigned",
// 15, gives 16, where "sink %-8s" left it one space and out of line);
// the relay's rows put their addresses at the column given.
func TestWL26BannerRow(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		names []string
		want  int
	}{
		{nil, 14},
		{[]string{"mx", "sub", "12345678"}, 14},
		{[]string{"mx", "selfsigned"}, 16},
	} {
		if got := bannerColumn(tt.names); got != tt.want {
			t.Errorf("bannerColumn(%q) = %d, want %d", tt.names, got, tt.want)
		}
	}
	if got := bannerRow(16, "sink selfsigned", "smtp://127.0.0.1:25"); got != "sink selfsigned smtp://127.0.0.1:25" {
		t.Errorf("row %q", got)
	}
	plain := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 43587}
	tls := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 43588}
	for _, l := range relayBannersAt(plain, tls, relay.Config{AllowedNetworks: []string{"127.0.0.0/8"}}, 16) {
		if strings.HasPrefix(l, "relay") && strings.Index(l, "smtp") != 16 {
			t.Errorf("%q has its address at column %d, want 16", l, strings.Index(l, "smtp"))
		}
	}
}
