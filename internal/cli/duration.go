package cli

import (
	"strconv"
	"strings"
	"time"
)

// parseAge reads a duration as Go writes them (90m, 36h) or in days (7d,
// 1.5d), for flags that look back from now. It must be positive.
func parseAge(flag, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n float64
		if n, err = strconv.ParseFloat(days, 64); err == nil {
			d = time.Duration(n * float64(24*time.Hour))
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, usageError("write a positive duration such as 7d, 36h or 90m", "invalid %s %q", flag, s)
	}
	return d, nil
}
