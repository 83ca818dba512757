package mail

import (
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

// BenchmarkCompose measures writing one whole message, the work a batch
// does for each email before it is handed to the connection.
func BenchmarkCompose(b *testing.B) {
	s, _ := Config{Dir: "x", From: testFrom}.resolve()
	e := sampleEmail(invite.Swedish)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compose(s.from, e, sendTime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender measures the templates alone, the larger part of compose.
func BenchmarkRender(b *testing.B) {
	e := sampleEmail(invite.Swedish)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Render(e); err != nil {
			b.Fatal(err)
		}
	}
}
