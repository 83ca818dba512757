package termfit

import (
	"slices"
	"testing"
	"time"
)

func TestFit(t *testing.T) {
	cols := InvitationColumns()
	// ID, Customer, First, Last, Email, Status, then the details, Sent on, Sent by.
	cols.Natural = []int{2, 30, 11, 18, 42, 7, 19, 18, 15, 13, 12, 6, 10, 7}
	cols.CellOverhead, cols.TableOverhead = 3, 1
	for _, tc := range []struct {
		width int
		keep  []int
	}{
		{1000, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}},
		// Everything important fits whole; of the others only what fits
		// whole in table order, stopping at the first that does not.
		{180, []int{0, 1, 2, 3, 4, 5, 6, 12}},
		// Shortened: every important column that fits, Sent on last.
		{90, []int{0, 1, 2, 3, 4, 5, 12}},
		{80, []int{0, 1, 2, 3, 4, 5}},
		// Narrower still: the least important go first.
		{50, []int{0, 2, 3, 4}},
		// Never nothing: the most important stays even when it does not fit.
		{3, []int{0}},
	} {
		keep, widths := cols.Fit(tc.width)
		if !slices.Equal(keep, tc.keep) {
			t.Errorf("width %d: keep %v, want %v", tc.width, keep, tc.keep)
		}
		total := cols.TableOverhead
		for _, c := range keep {
			total += widths[c] + cols.CellOverhead
			if cols.Fixed[c] && widths[c] != cols.Natural[c] {
				t.Errorf("width %d: fixed column %d shortened to %d", tc.width, c, widths[c])
			}
			if widths[c] < min(cols.Natural[c], MinCell) {
				t.Errorf("width %d: column %d narrower than %d: %d", tc.width, c, MinCell, widths[c])
			}
		}
		if total > tc.width && len(keep) > 1 {
			t.Errorf("width %d: %d columns wide", tc.width, total)
		}
	}
}

func TestTime(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	stockholm := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(-30 * time.Second), "just now"},
		{now.Add(-time.Minute), "1 minute ago"},
		{now.Add(-3 * time.Hour), "3 hours ago"},
		{now.Add(-50 * time.Hour), "2 days ago"},
		{now.Add(49 * time.Hour), "in 2 days"},
		{now.Add(-8 * 24 * time.Hour), "2025-12-28 10:00 CET"},
	} {
		if got := Time(tc.t, now, stockholm); got != tc.want {
			t.Errorf("Time(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	if got := Time(now, time.Time{}, nil); got != "2026-01-05 09:00 UTC" {
		t.Errorf("without now: %q", got)
	}
}

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"Åsa Lind":            "Åsa Lind",
		"evil\x1b[2Jname":     `evil\x1b[2Jname`,
		"right\u202eto left":  `right\u202eto left`,
		"zero\u200bwidth":     `zero\u200bwidth`,
		"line\u2028separator": `line\u2028separator`,
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}
