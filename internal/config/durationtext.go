package config

import (
	"strconv"
	"strings"
	"time"
)

// FormatDuration is d as a person writes it in the configuration, and as
// ParseDuration reads it back: whole days in days (35d, not 840h0m0s),
// and otherwise Go's form without its trailing zero units (5m, 4h, 1h30m,
// 1h0m30s, 90ms). A negative d is never in days, which ParseDuration
// refuses.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
