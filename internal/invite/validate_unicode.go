package invite

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file holds the Unicode side of the name rules: which characters a
// name may not contain, and how combining marks are judged. The tables come
// from package unicode, so they follow the Unicode version Go ships with.

// hiddenTables are the characters that do not show, or show as nothing a
// reader can tell apart: controls (Cc, e.g. U+0000, U+001B), format
// characters (Cf: U+200B zero width space, U+200D zero width joiner, U+202E
// right-to-left override, U+2066 left-to-right isolate, U+FEFF byte order
// mark, U+00AD soft hyphen, the tag characters U+E0000–U+E007F …), line and
// paragraph separators (Zl U+2028, Zp U+2029), private-use characters (Co),
// variation selectors, and the rest of Unicode's default-ignorable code
// points (Hangul fillers U+115F, U+1160, U+3164, U+FFA0, the combining
// grapheme joiner U+034F …).
var hiddenTables = []*unicode.RangeTable{
	unicode.Cc,
	unicode.Cf,
	unicode.Zl,
	unicode.Zp,
	unicode.Co,
	unicode.Variation_Selector,
	unicode.Other_Default_Ignorable_Code_Point,
}

// brailleBlank (U+2800) is a symbol in the tables but draws as an empty
// cell; it is a well-known way to make a "name" that looks blank.
const brailleBlank = '\u2800'

// hiddenRune reports whether r may not appear in a name, and if so what
// kind of character it is, for the message.
func hiddenRune(r rune) (string, bool) {
	switch {
	case unicode.IsControl(r):
		return "a control character", true
	case unicode.Is(unicode.Cf, r):
		return "an invisible format character", true
	case unicode.In(r, unicode.Zl, unicode.Zp):
		return "a line or paragraph separator", true
	case unicode.Is(unicode.Co, r):
		return "a private-use character", true
	case r == brailleBlank || unicode.In(r, hiddenTables...):
		return "an invisible character", true
	}
	return "", false
}

// trimName removes leading and trailing white space as strings.TrimSpace
// does, except line and paragraph separators (U+2028, U+2029): those are
// refused wherever they are, not silently dropped.
func trimName(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) && !unicode.In(r, unicode.Zl, unicode.Zp)
	})
}

// checkHidden returns a message naming the first character of s that may
// not appear in a name (see hiddenRune), or "".
func checkHidden(s string) string {
	pos := 0
	for _, r := range s {
		pos++
		if kind, bad := hiddenRune(r); bad {
			return fmt.Sprintf("must not contain control, format or invisible characters (character %d is U+%04X, %s); retype the name without it", pos, r, kind)
		}
	}
	return ""
}

// checkNameLetters checks the letters and combining marks of a trimmed,
// NFC-normalised name without hidden characters: at least one letter, every
// combining mark after a letter (or after another mark on one), and at least
// NameMin characters that are not combining marks. It returns a message for
// the first rule broken, or "".
func checkNameLetters(s string) string {
	pos := 0
	letters, bases := 0, 0
	prevLetter := false // the last character that is not a mark was a letter
	stray, strayPos := rune(-1), 0
	for _, r := range s {
		pos++
		if unicode.Is(unicode.M, r) {
			// A combining mark belongs to the letter before it. After NFC
			// most accents are part of that letter already (Å, é); those
			// left over (Yoruba ọ̀, Devanagari vowel signs) must still
			// follow a letter, not start the name or sit on a space.
			if !prevLetter && stray < 0 {
				stray, strayPos = r, pos
			}
			continue
		}
		bases++
		prevLetter = unicode.IsLetter(r)
		if prevLetter {
			letters++
		}
	}
	switch {
	case letters == 0:
		return "must contain at least one letter (spaces, digits, punctuation and accents alone are not a name)"
	case stray >= 0:
		return fmt.Sprintf("has a combining mark (U+%04X at character %d) that does not follow a letter; type the accent together with its letter", stray, strayPos)
	case bases < NameMin:
		return fmt.Sprintf("must be at least %d characters, not counting accents that stack on a letter (got %d)", NameMin, bases)
	}
	return ""
}

// nfc returns s in Unicode normalisation form C, the composed form: "A" +
// U+030A becomes "Å".
func nfc(s string) string { return norm.NFC.String(s) }

// scriptOf returns the name of the Unicode script of the letter r, or ""
// for characters that belong to every script (digits, punctuation, the
// combining marks of package unicode's Common and Inherited).
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if unicode.IsLetter(r) {
			return "Latin"
		}
		return ""
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// mixableScripts are the scripts one word may mix in ordinary writing
// (Unicode TR 39, "highly restrictive"): Latin with Japanese, Chinese or
// Korean writing.
var mixableScripts = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// mixedScripts says which scripts s mixes when that is not ordinary
// writing (`Cyrillic letters ('а' is U+0430) and Latin letters ('s' is
// U+0073)`), or "". A Cyrillic а
// in аsa@example.com looks like the Latin one but makes another address.
func mixedScripts(s string) string {
	var seen []string
	var firstOf []rune
	for _, r := range s {
		if sc := scriptOf(r); sc != "" && !slices.Contains(seen, sc) {
			seen = append(seen, sc)
			firstOf = append(firstOf, r)
		}
	}
	if len(seen) < 2 {
		return ""
	}
	for _, ok := range mixableScripts {
		if !slices.ContainsFunc(seen, func(sc string) bool { return !slices.Contains(ok, sc) }) {
			return ""
		}
	}
	parts := make([]string, len(seen))
	for i, sc := range seen {
		parts[i] = fmt.Sprintf("%s letters (%q is U+%04X)", sc, firstOf[i], firstOf[i])
	}
	return strings.Join(parts, " and ")
}
