package invite

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/invitectl/invitectl/internal/personnummer"
	"github.com/nyaruka/phonenumbers"
)

// Limits of the details.
const (
	NameMin      = 2
	NameMax      = 70
	LMANumberMax = 70
	EmailMax     = 254
)

// Empty reports whether the patch changes nothing.
func (p Patch) Empty() bool { return p == Patch{} }

// ApplyAt validates the patch and applies it to d. It returns the new details,
// the names of the fields whose value changed, and a validation error naming
// every field that breaks a rule. now is the reference time of the rules that
// need one: a personal number may not be dated after it.
func (p Patch) ApplyAt(d Details, now time.Time) (Details, []string, error) {
	var errs []FieldError
	var changed []string
	for _, f := range Fields {
		raw := f.Given(p)
		if raw == nil {
			continue
		}
		v, err := f.Normalize(*raw, now)
		switch {
		case err != nil:
			errs = append(errs, FieldError{Field: f.Name, Message: err.Error()})
		case v != f.Value(d):
			changed = append(changed, f.Name)
			f.Set(&d, v)
		}
	}
	if len(errs) > 0 {
		return d, nil, &Error{Code: EINVALID, Message: "invalid details", Fields: errs}
	}
	return d, changed, nil
}

// clearable maps "unset" to empty and trims spaces.
func clearable(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "unset") {
		return ""
	}
	return s
}

// ValidateName trims s, normalises it to Unicode NFC and checks it: 2–70
// characters (runes, after trimming and NFC), at least one letter, no
// control, format or invisible characters, and no combining mark that does
// not follow a letter; the accents stacked on a letter do not count towards
// the minimum. It returns the normalised name, or a message saying which rule
// it breaks.
func ValidateName(s string) (string, string) {
	s = trimName(s)
	if !utf8.ValidString(s) {
		return "", "must be valid UTF-8 text (check the encoding of the terminal or file it came from)"
	}
	s = nfc(s)
	// Characters first: a name of two invisible characters is told about
	// them, not about its length.
	if msg := checkHidden(s); msg != "" {
		return "", msg
	}
	if n := utf8.RuneCountInString(s); n < NameMin || n > NameMax {
		return "", fmt.Sprintf("must be %d–%d characters after trimming (got %d)", NameMin, NameMax, n)
	}
	if msg := checkNameLetters(s); msg != "" {
		return "", msg
	}
	return s, ""
}

func printable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		_, bad := hiddenRune(r)
		return bad
	})
}

// NormalizePersonalNumberAt validates a personal number and returns it in the
// stored form YYYYMMDD-XXXX; empty or "unset" gives empty. Its date may not
// be after now's date (in Sweden) nor before 1840.
func NormalizePersonalNumberAt(s string, now time.Time) (string, error) {
	s = clearable(s)
	if s == "" {
		return "", nil
	}
	n, err := personnummer.ParseAt(s, now)
	if err != nil {
		return "", err
	}
	return n.String(), nil
}

// NormalizePhone returns the number in E.164, or says why it is refused.
// A phone is stored only when it unambiguously denotes one number: digits
// with optional spaces, "-", "(", ")", "/", "." and a leading "+" or "00"
// (a country code follows); without either it is Swedish and must start
// with the trunk prefix 0. Letters (never read as keypad digits), any other
// character, an extension, digits with neither a country code nor a leading
// 0 (as when a spreadsheet dropped them) and numbers that are not possible
// are refused: the number is never rewritten into another one. Empty or
// "unset" gives empty.
func NormalizePhone(s string) (string, error) {
	s = clearable(s)
	if s == "" {
		return "", nil
	}
	if len(s) > 40 {
		return "", fmt.Errorf("is too long to be a phone number")
	}
	const how = "write it as +46701234567, 0046 70 123 45 67 or 070-123 45 67"
	digits := make([]byte, 0, len(s))
	plus := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == '+' && i == 0:
			plus = true
		case strings.ContainsRune(" -()/.\u00a0", r):
		default:
			// "070-123 45 67 ext. 12", "… x 12", "… #12", ";ext=12": E.164
			// has no place for the extension, so it is refused by name.
			if num, err := phonenumbers.Parse(s, "SE"); err == nil && num.GetExtension() != "" {
				return "", fmt.Errorf("%q has an extension, which E.164 cannot hold; remove it (without extension %s the number is %s)",
					s, num.GetExtension(), phonenumbers.Format(num, phonenumbers.E164))
			}
			if unicode.IsLetter(r) {
				return "", fmt.Errorf("%q contains the letter %q; a phone number is digits only (letters are not read as keypad digits), so %s", s, r, how)
			}
			if r == '+' {
				return "", fmt.Errorf("%q has a + that is not at the start; %s", s, how)
			}
			return "", fmt.Errorf("%q contains %q, which is not part of a phone number (digits with spaces, -, (, ), /, . and a leading + or 00); %s", s, r, how)
		}
	}
	var e164 string
	switch {
	case len(digits) == 0:
		return "", fmt.Errorf("%q has no digits; %s", s, how)
	case plus || strings.HasPrefix(string(digits), "00"):
		// "+46 (0)70 123 45 67": the (0) is the trunk prefix a caller from
		// abroad leaves out.
		d := s
		if i := strings.Index(s, "(0)"); i > 0 {
			d = s[:i] + s[i+3:]
		}
		intl := onlyDigits(d)
		if !plus {
			intl = intl[2:]
		}
		e164 = "+" + intl
	case digits[0] == '0':
		e164 = "+46" + string(digits[1:])
	default:
		return "", fmt.Errorf("%q has neither a + or 00 before a country code nor a leading 0, so it is not clear which number it is (a spreadsheet may have dropped them); if it starts with its country code, write +%s; a Swedish number starts with 0", s, digits)
	}
	// The number as E.164 must be possible and read back as itself: a
	// number whose digits libphonenumber would change is not stored.
	num, err := phonenumbers.Parse(e164, "SE")
	if err != nil || !phonenumbers.IsPossibleNumber(num) || phonenumbers.Format(num, phonenumbers.E164) != e164 {
		return "", fmt.Errorf("%q is not a possible phone number (%s)", s, how)
	}
	return e164, nil
}

// onlyDigits returns the ASCII digits of s.
func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// ParseGender accepts female, male, other, and empty or unset for none.
func ParseGender(s string) (Gender, error) {
	switch g := strings.ToLower(clearable(s)); g {
	case "":
		return "", nil
	case string(Female), string(Male), string(Other):
		return Gender(g), nil
	}
	return "", fmt.Errorf("must be female, male, other or unset (got %q)", s)
}

// Largest length of one label of a domain name (RFC 1035).
const domainLabelMax = 63

// NormalizeEmail trims the address, normalises it to Unicode NFC (so the
// composed and decomposed spellings of åsa@exämple.se are one address),
// checks its syntax and returns it. Case is kept for display; comparisons
// ignore it (see EmailKey).
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("is required")
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("must be valid UTF-8 text (check the encoding of the terminal or file it came from)")
	}
	s = nfc(s)
	for _, r := range s {
		if kind, bad := hiddenRune(r); bad {
			return "", fmt.Errorf("%q contains U+%04X, %s, which would make it look like another address; retype it", s, r, kind)
		}
	}
	if len(s) > EmailMax {
		return "", fmt.Errorf("must be at most %d characters", EmailMax)
	}
	at := strings.LastIndexByte(s, '@')
	if at >= 1 && strings.HasPrefix(s[at+1:], "[") {
		return "", fmt.Errorf("%q has an address literal (%s) after the @ instead of a domain name; use the address with a domain name (like name@example.com)", s, s[at+1:])
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%q is not a valid email address (like name@example.com)", s)
	}
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return "", fmt.Errorf("%q is not a valid email address (like name@example.com)", s)
	}
	for _, label := range strings.Split(s[at+1:], ".") {
		if n := utf8.RuneCountInString(label); n > domainLabelMax {
			return "", fmt.Errorf("%q has a domain part of %d characters (%.12s…); a part between dots may have at most %d, so check the domain for a typo", s, n, label, domainLabelMax)
		}
		if msg := mixedScripts(label); msg != "" {
			return "", fmt.Errorf("%q mixes %s in the domain part %q, which makes it look like another address; retype it in one script", s, msg, label)
		}
	}
	if msg := mixedScripts(s[:at]); msg != "" {
		return "", fmt.Errorf("%q mixes %s before the @, which makes it look like another address; retype it in one script", s, msg)
	}
	return s, nil
}

// EmailKey is the case-insensitive form of an email used for uniqueness and
// sorting: trimmed, in Unicode NFC, lower-cased. Every store derives its
// email_key column and lookups from it, so composed and decomposed spellings
// of one address get the same key.
func EmailKey(email string) string {
	return nfc(strings.ToLower(nfc(strings.TrimSpace(email))))
}

// ValidateCustomerName trims a customer name and checks it.
func ValidateCustomerName(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < 1 || n > 200 || !printable(s) {
		return "", Errorf(EINVALID, "invalid customer name %q: a name is 1–200 characters without control, format or invisible characters", s)
	}
	return s, nil
}
