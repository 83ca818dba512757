package cli

import (
	"strconv"
	"strings"
	"time"
)

// parseDuration reads a duration as Go writes them (90m, 36h) or in days
// (7d, 1.5d, 365d): the one reading of every duration invitectl takes, from
// a flag or from the configuration. It must be positive.
func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n float64
		if n, err = strconv.ParseFloat(days, 64); err == nil {
			if n*24 > float64(1<<63-1)/float64(time.Hour) {
				return 0, false
			}
			d = time.Duration(n * float64(24*time.Hour))
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	return d, err == nil && d > 0
}

// parseAge reads a duration flag that looks back from now.
func parseAge(flag, s string) (time.Duration, error) {
	d, ok := parseDuration(s)
	if !ok {
		return 0, usageError("write a positive duration such as 7d, 36h or 90m", "invalid %s %q", flag, strings.TrimSpace(s))
	}
	return d, nil
}
