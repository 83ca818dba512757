// Package personnummer parses, validates, normalises and masks Swedish personal
// identity numbers (personnummer) and coordination numbers (samordningsnummer).
//
// The accepted form is the 12-digit one with a hyphen, YYYYMMDD-XXXX, which is
// also the normalised form that is stored.
package personnummer

import (
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // Europe/Stockholm wherever the binary runs
)

// Number is a validated personal number in its normalised form.
type Number struct {
	s string // YYYYMMDD-XXXX
}

// Errors returned by Parse. Each message says what is wrong; the caller adds the field.
var (
	ErrFormat = errors.New("must have the form YYYYMMDD-XXXX (12 digits and a hyphen)")
	ErrDate   = errors.New("the date part is not a real date (coordination numbers add 60 to the day)")
	ErrCheck  = errors.New("the check digit (last digit) is wrong")
	ErrFuture = errors.New("the date part is in the future; check the year and the date (YYYYMMDD, the date of birth)")
	ErrEarly  = errors.New("the date part is before 1840; check the century (YYYYMMDD, like 19811218)")
)

// FirstYear is the earliest year of birth accepted.
const FirstYear = 1840

// ParseAt validates s and returns the number in normalised form. Leading and
// trailing spaces are ignored; the 12-digit form without hyphen is accepted
// too. The date (for a coordination number, the day less 60) must be a real
// date, not before FirstYear and not after the date of now in Sweden.
func ParseAt(s string, now time.Time) (Number, error) {
	s = trimSpace(s)
	var digits [12]byte
	switch {
	case len(s) == 13 && s[8] == '-':
		copy(digits[:8], s[:8])
		copy(digits[8:], s[9:])
	case len(s) == 12:
		copy(digits[:], s)
	default:
		return Number{}, ErrFormat
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return Number{}, ErrFormat
		}
	}
	year := atoi(digits[0:4])
	month := atoi(digits[4:6])
	day := atoi(digits[6:8])
	if day > 60 {
		day -= 60 // coordination number
	}
	if !realDate(year, month, day) {
		return Number{}, ErrDate
	}
	if year < FirstYear {
		return Number{}, ErrEarly
	}
	if y, m, d := swedishDate(now); year*10000+month*100+day > y*10000+int(m)*100+d {
		return Number{}, ErrFuture
	}
	if !luhn(digits[2:]) {
		return Number{}, ErrCheck
	}
	return Number{s: string(digits[:8]) + "-" + string(digits[8:])}, nil
}

// String returns the normalised form YYYYMMDD-XXXX.
func (n Number) String() string { return n.s }

// IsCoordination reports whether n is a coordination number (day + 60).
func (n Number) IsCoordination() bool { return n.s != "" && atoi([]byte(n.s[6:8])) > 60 }

// Mask hides the last four digits of a normalised number: YYYYMMDD-****.
// It never returns more than the date part, whatever it is given.
func Mask(normalised string) string {
	if normalised == "" {
		return ""
	}
	if len(normalised) < 8 {
		return "********-****"
	}
	return normalised[:8] + "-****"
}

// CheckDigit computes the Luhn check digit for the nine digits YYMMDDNNN.
func CheckDigit(nine string) (byte, error) {
	if len(nine) != 9 {
		return 0, fmt.Errorf("need 9 digits, got %d", len(nine))
	}
	sum := 0
	for i := 0; i < 9; i++ {
		c := nine[i]
		if c < '0' || c > '9' {
			return 0, ErrFormat
		}
		sum += luhnTerm(int(c-'0'), i)
	}
	return byte('0' + (10-sum%10)%10), nil
}

func luhn(ten []byte) bool {
	sum := 0
	for i, c := range ten {
		sum += luhnTerm(int(c-'0'), i)
	}
	return sum%10 == 0
}

// luhnTerm doubles every other digit starting with the first, as the
// Swedish variant of the Luhn algorithm does over YYMMDDNNNC.
func luhnTerm(d, i int) int {
	if i%2 == 0 {
		d *= 2
		if d > 9 {
			d -= 9
		}
	}
	return d
}

func realDate(year, month, day int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return t.Year() == year && int(t.Month()) == month && t.Day() == day
}

// stockholm is Sweden's time zone, from the zone database embedded in the
// binary (time/tzdata), so the rule does not depend on the host having one.
var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic("personnummer: the embedded time zone database lacks Europe/Stockholm: " + err.Error())
	}
	return loc
}()

// swedishDate returns the calendar date at instant t in Sweden.
func swedishDate(t time.Time) (int, time.Month, int) {
	return t.In(stockholm).Date()
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
