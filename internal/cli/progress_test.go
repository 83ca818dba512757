package cli

import (
	"bytes"
	"strings"
	"testing"
)

// done returns once the bar is drawn for the last time, even when the bar
// finishes before it was ever drawn, and again at once when called twice.
func TestProgressBarDoneWaitsForTheLastDraw(t *testing.T) {
	var errOut bytes.Buffer
	bar := startProgress(&IOStreams{ErrOut: &errOut, ErrTTY: true, Width: 80}, false, "Resending", 3)
	for range 3 {
		bar.increment()
	}
	bar.done()
	got := errOut.String() // the drawing goroutine has ended: no race
	if !strings.Contains(got, "Resending") || !strings.Contains(got, "3") {
		t.Errorf("final bar %q, want the message and the count", got)
	}
	bar.done()
	if errOut.String() != got {
		t.Error("the bar was drawn again after done")
	}
	var nothing *progressBar
	nothing.increment()
	nothing.done()
}
