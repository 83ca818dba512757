package web

import (
	"strings"
	"testing"
)

// What each Accept-Language header gets, as golang.org/x/text/language
// parses and matches it (TestAcceptLanguage holds the older cases).
func TestAcceptLanguageHeaders(t *testing.T) {
	tests := []struct {
		name, header, want string
	}{
		{"empty", "", ""},
		{"upper case", "SV", "sv"},
		{"Swedish of Sweden", "sv-SE", "sv"},
		{"Swedish of Åland", "sv-AX", "sv"},
		{"English of the US", "en-US", "en"},
		{"English of Britain", "en-GB", "en"},
		{"a browser set to Swedish", "sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", "sv"},
		{"a browser set to English", "en-US,en;q=0.9,sv;q=0.8", "en"},
		{"the higher weight wins over the order", "en;q=0.3, sv-SE;q=0.7", "sv"},
		{"equal weights: the earlier wins", "sv;q=0.5, en;q=0.5", "sv"},
		{"equal weights: the earlier wins, other order", "en;q=0.5, sv;q=0.5", "en"},
		{"weight zero is a refusal", "sv;q=0", ""},
		{"weight zero is a refusal, the other counts", "sv;q=0, en;q=0.1", "en"},
		{"only languages we do not speak", "de-DE, fr;q=0.9", ""},
		{"one we speak after others", "de-DE, fr;q=0.9, en;q=0.1", "en"},
		{"any language", "*", ""},
		{"any language, then English", "*, en;q=0.5", "en"},
		{"garbage", "garbage!!", ""},
		{"a lone letter", "x", ""},
		{"a malformed weight spoils the header", "en;q=abc", ""},
		{"Finnish", "fi", ""},
		{"Finnish, then Swedish", "fi, sv;q=0.5", "sv"},
		// Norwegian and Danish readers often read Swedish, but the matcher
		// only guesses so; the invitation's language serves them better.
		{"Norwegian Bokmål", "nb", ""},
		{"Norwegian Bokmål of Norway", "nb-NO", ""},
		{"Norwegian", "no", ""},
		{"Norwegian Nynorsk", "nn", ""},
		{"Danish", "da", ""},
		{"Norwegian, then Swedish", "nb, sv;q=0.1", "sv"},
		{"Danish, then English", "da-DK, en;q=0.5", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := acceptLanguage(tt.header); got != tt.want {
				t.Errorf("acceptLanguage(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

// A header that names no language we speak leaves the choice to the
// page's other hints: the invitation's language on a token page, the
// configured default elsewhere.
func TestUnmatchedAcceptLanguageFallsBack(t *testing.T) {
	f := newFixture(t, cheapParams, func(d *Deps) { d.DefaultLanguage = "en" })
	_, svToken := f.invite(t, "sv@example.com", "sv")
	_, enToken := f.invite(t, "en@example.com", "en")
	for _, header := range []string{"nb-NO,nb;q=0.9,no;q=0.8", "da", "*", "garbage!!"} {
		for target, want := range map[string]string{
			"/invite/" + svToken: "sv",
			"/invite/" + enToken: "en",
			"/privacy":           "en",
		} {
			body := f.get(target, "Accept-Language", header).Body.String()
			if !strings.Contains(body, `<html lang="`+want+`">`) {
				t.Errorf("%s with Accept-Language %q is not in %s", target, header, want)
			}
		}
	}
}
