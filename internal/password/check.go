package password

import (
	_ "embed"
	"strings"
	"unicode/utf8"
)

// Length limits, in characters (not bytes). The upper bound keeps hashing
// cheap for hostile input while leaving room for long passphrases.
const (
	MinLength = 12
	MaxLength = 128
)

//go:embed common.txt
var commonList string

// common holds well-known weak passwords, each at least MinLength long
// (shorter ones are refused by length already), as written and lowercased.
var common = func() map[string]struct{} {
	m := make(map[string]struct{})
	for line := range strings.Lines(commonList) {
		if w := strings.TrimRight(line, "\r\n"); w != "" {
			m[w] = struct{}{}
			m[strings.ToLower(w)] = struct{}{}
		}
	}
	return m
}()

// messages are the rule violations in each language the pages speak.
var messages = map[string]map[string]string{
	"sv": {
		"short":  "Lösenordet måste ha minst 12 tecken.",
		"long":   "Lösenordet får ha högst 128 tecken.",
		"email":  "Lösenordet får inte innehålla din e-postadress.",
		"common": "Lösenordet är för vanligt och lätt att gissa. Välj ett annat.",
		"same":   "Lösenordet får inte bestå av bara mellanslag eller ett och samma tecken.",
	},
	"en": {
		"short":  "The password must be at least 12 characters long.",
		"long":   "The password can be at most 128 characters long.",
		"email":  "The password must not contain your email address.",
		"common": "This password is too common and easy to guess. Choose another one.",
		"same":   "The password must not be only spaces or one character repeated.",
	},
}

// Check returns a short message in lang ("sv" or "en"; anything else is
// Swedish) when pw breaks a rule, and "" when it is acceptable. The rules are
// length, not only white space or one character repeated, not containing
// the email address, and not a well-known password; there are
// deliberately no composition rules (a digit, a symbol…), since they make
// passwords harder to remember without making them harder to guess.
func (h *Hasher) Check(pw, email, lang string) string {
	return Check(pw, email, lang)
}

// Check is Hasher.Check without a Hasher.
func Check(pw, email, lang string) string {
	msg, ok := messages[lang]
	if !ok {
		msg = messages["sv"]
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return msg["short"]
	case n > MaxLength:
		return msg["long"]
	case oneCharacter(pw):
		return msg["same"]
	case containsEmail(pw, email):
		return msg["email"]
	case isCommon(pw):
		return msg["common"]
	}
	return ""
}

// oneCharacter reports whether pw is only white space, of any kind, or one
// character repeated: twelve of them are guessed at once, whatever the
// length.
func oneCharacter(pw string) bool {
	if strings.TrimSpace(pw) == "" {
		return true
	}
	first, _ := utf8.DecodeRuneInString(pw)
	return strings.Trim(pw, string(first)) == ""
}

// containsEmail reports whether pw contains the email address, ignoring
// case: "asa@example.com2024!" is as easy to guess as the address itself.
func containsEmail(pw, email string) bool {
	email = strings.TrimSpace(email)
	if email == "" {
		return false
	}
	return strings.Contains(strings.ToLower(pw), strings.ToLower(email))
}

func isCommon(pw string) bool {
	if _, ok := common[pw]; ok {
		return true
	}
	_, ok := common[strings.ToLower(pw)]
	return ok
}
