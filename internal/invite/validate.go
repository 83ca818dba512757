package invite

import (
	"fmt"
	"net/mail"
	"strings"
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

// Patch holds raw, unvalidated values for the details, as typed by an
// administrator. A nil field is left as it is; for optional fields an empty
// string or "unset" clears the value.
type Patch struct {
	FirstName      *string
	LastName       *string
	SwedishCitizen *string
	EUCitizen      *string
	PersonalNumber *string
	LMANumber      *string
	Phone          *string
	Gender         *string
}

// Empty reports whether the patch changes nothing.
func (p Patch) Empty() bool { return p == Patch{} }

// Apply validates the patch and applies it to d. It returns the new details,
// the names of the fields whose value changed, and a validation error naming
// every field that breaks a rule.
func (p Patch) Apply(d Details) (Details, []string, error) {
	var errs []FieldError
	var changed []string
	fail := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	set := func(field string, dst *string, v string) {
		if *dst != v {
			changed = append(changed, field)
			*dst = v
		}
	}
	if p.FirstName != nil {
		if v, err := ValidateName(*p.FirstName); err != "" {
			fail("first-name", "%s", err)
		} else {
			set("first-name", &d.FirstName, v)
		}
	}
	if p.LastName != nil {
		if v, err := ValidateName(*p.LastName); err != "" {
			fail("last-name", "%s", err)
		} else {
			set("last-name", &d.LastName, v)
		}
	}
	tri := func(field string, raw *string, dst *Tristate) {
		if raw == nil {
			return
		}
		v, ok := ParseTristate(*raw)
		if !ok {
			fail(field, "must be yes, no or unset (got %q)", *raw)
			return
		}
		if *dst != v {
			changed = append(changed, field)
			*dst = v
		}
	}
	tri("swedish-citizen", p.SwedishCitizen, &d.SwedishCitizen)
	tri("eu-citizen", p.EUCitizen, &d.EUCitizen)
	if p.PersonalNumber != nil {
		if v, err := NormalizePersonalNumber(*p.PersonalNumber); err != nil {
			fail("personal-number", "%v", err)
		} else {
			set("personal-number", &d.PersonalNumber, v)
		}
	}
	if p.LMANumber != nil {
		v := clearable(*p.LMANumber)
		if n := utf8.RuneCountInString(v); n > LMANumberMax {
			fail("lma-number", "must be at most %d characters (got %d)", LMANumberMax, n)
		} else if !printable(v) {
			fail("lma-number", "must not contain control characters")
		} else {
			set("lma-number", &d.LMANumber, v)
		}
	}
	if p.Phone != nil {
		if v, err := NormalizePhone(*p.Phone); err != nil {
			fail("phone", "%v", err)
		} else {
			set("phone", &d.Phone, v)
		}
	}
	if p.Gender != nil {
		if v, err := ParseGender(*p.Gender); err != nil {
			fail("gender", "%v", err)
		} else {
			g := string(d.Gender)
			set("gender", &g, string(v))
			d.Gender = Gender(g)
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

// ValidateName trims s and checks its length in characters. It returns the
// trimmed name, or a message saying which rule it breaks.
func ValidateName(s string) (string, string) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return "", "must be valid UTF-8 text"
	case n < NameMin || n > NameMax:
		return "", fmt.Sprintf("must be %d–%d characters after trimming (got %d)", NameMin, NameMax, n)
	case !printable(s):
		return "", "must not contain control characters"
	}
	return s, ""
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// NormalizePersonalNumber validates a personal number and returns it in the
// stored form YYYYMMDD-XXXX; empty or "unset" gives empty.
func NormalizePersonalNumber(s string) (string, error) {
	s = clearable(s)
	if s == "" {
		return "", nil
	}
	n, err := personnummer.Parse(s)
	if err != nil {
		return "", err
	}
	return n.String(), nil
}

// NormalizePhone returns the number in E.164. Numbers without a country code
// are read as Swedish. Empty or "unset" gives empty.
func NormalizePhone(s string) (string, error) {
	s = clearable(s)
	if s == "" {
		return "", nil
	}
	if len(s) > 40 {
		return "", fmt.Errorf("is too long to be a phone number")
	}
	num, err := phonenumbers.Parse(s, "SE")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", fmt.Errorf("%q is not a possible phone number (write it as +46701234567 or 070-123 45 67)", s)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	// A number whose E.164 form reads back differently (all zeros, say) is
	// not a number anyone can dial.
	if again, err := phonenumbers.Parse(e164, "SE"); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 || !phonenumbers.IsPossibleNumber(again) {
		return "", fmt.Errorf("%q is not a possible phone number (write it as +46701234567 or 070-123 45 67)", s)
	}
	return e164, nil
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

// NormalizeEmail trims the address, checks its syntax and returns it. Case is
// kept for display; comparisons ignore it.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("is required")
	}
	if len(s) > EmailMax {
		return "", fmt.Errorf("must be at most %d characters", EmailMax)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%q is not a valid email address (like name@example.com)", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return "", fmt.Errorf("%q is not a valid email address (like name@example.com)", s)
	}
	return s, nil
}

// EmailKey is the case-insensitive form of an email used for uniqueness and sorting.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateCustomerName trims a customer name and checks it.
func ValidateCustomerName(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < 1 || n > 200 || !printable(s) {
		return "", &Error{Code: EINVALID, Message: "invalid customer name", Fields: []FieldError{{Field: "name", Message: "must be 1–200 characters without control characters"}}}
	}
	return s, nil
}
