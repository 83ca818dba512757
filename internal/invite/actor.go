package invite

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxActorLength is the longest actor name, in characters.
const MaxActorLength = 100

// ValidateActor checks who is acting, as recorded in "Sent by" and the audit
// log: 1 to 100 printable characters. Control and format characters would
// reach terminals and forge audit lines, so they are refused, not stripped.
func ValidateActor(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		return "", Errorf(EINVALID, "the actor name is not valid UTF-8")
	case n == 0:
		return "", Errorf(EINVALID, "the actor name is empty")
	case n > MaxActorLength:
		return "", Errorf(EINVALID, "the actor name has %d characters; at most %d are allowed", n, MaxActorLength)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return "", Errorf(EINVALID, "the actor name contains the unprintable character %U", r)
		}
	}
	return s, nil
}
