package mail

import (
	"bytes"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// The encoder must write exactly what mime/quotedprintable writes, for
// every input: messages are compared byte for byte across versions.
func TestQuotedPrintableMatchesStandardLibrary(t *testing.T) {
	inputs := []string{
		"", " ", "\t", "=", "\n", "\r", "\r\n", "\n\r", "\r\r\n", "a \nb\t\r\nc ",
		"\r=\n", "trailing space ", "Hej Åsa!\nLänken gäller till 25 november 2027.\n",
		strings.Repeat("x", 75) + "=", strings.Repeat("x", 74) + "å", strings.Repeat("x", 75) + " \n",
		strings.Repeat("a b ", 60), strings.Repeat("ö", 100), strings.Repeat("x", 76) + "\r\n" + strings.Repeat("y", 80),
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab =\t\r\n\x00\x7f\xc3\xa5~!")
	for range 2000 {
		p := make([]byte, r.IntN(300))
		for i := range p {
			p[i] = alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(p))
	}
	for _, in := range inputs {
		var want bytes.Buffer
		w := quotedprintable.NewWriter(&want)
		if _, err := w.Write([]byte(in)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := appendQuotedPrintable(nil, []byte(in)); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("encoding %q:\n got %q\nwant %q", in, got, want.Bytes())
		}
	}
}
