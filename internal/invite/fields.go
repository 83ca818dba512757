package invite

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/invitectl/invitectl/internal/personnummer"
)

// Details are the invitee's details, captured on the invitation and copied
// onto the user. Optional strings are empty when absent. PersonalNumber is
// normalised (YYYYMMDD-XXXX) and must never be shown unmasked except by an
// explicit reveal. Fields describes each of them.
type Details struct {
	FirstName      string
	LastName       string
	SwedishCitizen Tristate
	EUCitizen      Tristate
	PersonalNumber string
	LMANumber      string
	Phone          string // E.164
	Gender         Gender
}

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

// Fields describes every invitee detail once, in the order every table,
// document and form lists them. The store's columns, the outputs, the
// import's headers, the forms and the flags are all read from it.
var Fields = []Field{
	{Name: "first_name", Label: "First name", About: "first name, 2–70 characters", Required: true,
		text: func(d *Details) *string { return &d.FirstName }, patch: func(p *Patch) **string { return &p.FirstName },
		normalize: name},
	{Name: "last_name", Label: "Last name", About: "last name, 2–70 characters", Required: true,
		text: func(d *Details) *string { return &d.LastName }, patch: func(p *Patch) **string { return &p.LastName },
		normalize: name},
	{Name: "swedish_citizen", Label: "Swedish citizenship", About: "Swedish citizenship: yes, no or unset",
		tri: func(d *Details) *Tristate { return &d.SwedishCitizen }, patch: func(p *Patch) **string { return &p.SwedishCitizen }},
	{Name: "eu_citizen", Column: "eu_eea_citizen", Label: "EU/EEA citizenship", Aliases: []string{"EU citizen", "EU citizenship"},
		About: "EU/EEA citizenship: yes, no or unset",
		tri:   func(d *Details) *Tristate { return &d.EUCitizen }, patch: func(p *Patch) **string { return &p.EUCitizen }},
	{Name: "personal_number", Label: "Personal number", About: "Swedish personal number, YYYYMMDD-XXXX", Format: "YYYYMMDD-XXXX",
		Mask: personnummer.Mask,
		text: func(d *Details) *string { return &d.PersonalNumber }, patch: func(p *Patch) **string { return &p.PersonalNumber },
		normalize: NormalizePersonalNumberAt},
	{Name: "lma_number", Label: "LMA number", About: "LMA number, up to 70 characters",
		text: func(d *Details) *string { return &d.LMANumber }, patch: func(p *Patch) **string { return &p.LMANumber },
		normalize: shortText(LMANumberMax)},
	{Name: "phone", Label: "Phone number", About: "phone number; Swedish numbers may omit +46",
		text: func(d *Details) *string { return &d.Phone }, patch: func(p *Patch) **string { return &p.Phone },
		normalize: func(s string, _ time.Time) (string, error) { return NormalizePhone(s) }},
	{Name: "gender", Label: "Gender", About: "female, male, other or unset", Choices: []string{string(Female), string(Male), string(Other)},
		text:      func(d *Details) *string { return (*string)(&d.Gender) },
		patch:     func(p *Patch) **string { return &p.Gender },
		normalize: func(s string, _ time.Time) (string, error) { g, err := ParseGender(s); return string(g), err }},
}

// Field is one invitee detail: its names, how people read it, and its rules.
type Field struct {
	// Name is the domain's name of the field: the Field of its FieldError,
	// what an edit reports as changed, the key of an edited document.
	Name string
	// Column is the store's column, the JSON key and the spreadsheet header
	// when they are not Name.
	Column string
	// Label is the field as people read it: the table's heading, the form's label.
	Label string
	// Aliases are more headers an import takes for it, besides Column and Label.
	Aliases []string
	// About says what it holds and takes, in a few words.
	About string
	// Format is how a value is written, where that is fixed.
	Format string
	// Required fields are given on every invitation and never cleared.
	Required bool
	// Choices are the values of a field that takes one of a few (besides
	// unset); a tri-state's are yes and no.
	Choices []string
	// Mask hides the value wherever it is shown, unless it is revealed.
	Mask func(string) string

	text      func(*Details) *string   // a text field's value
	tri       func(*Details) *Tristate // a tri-state's value
	patch     func(*Patch) **string
	normalize func(raw string, now time.Time) (string, error) // a text field's rule
}

// Key is the field's column, JSON key and spreadsheet header.
func (f Field) Key() string {
	if f.Column != "" {
		return f.Column
	}
	return f.Name
}

// Tristate reports whether the field is yes, no or unset.
func (f Field) Tristate() bool { return f.tri != nil }

// FreeText reports whether the field is optional text that takes any value
// its rule allows (not a name, not a choice): such text stays text even
// where it looks like a number.
func (f Field) FreeText() bool { return !f.Required && f.tri == nil && f.Choices == nil }

// Value is the field's value in d: "" when absent, yes or no for a tri-state.
func (f Field) Value(d Details) string {
	if f.tri != nil {
		return triValue(*f.tri(&d))
	}
	return *f.text(&d)
}

// Tri is a tri-state field's value in d.
func (f Field) Tri(d Details) Tristate { return *f.tri(&d) }

// Set sets the field's value in d to v, as Value returns it (or unset).
func (f Field) Set(d *Details, v string) {
	if f.tri != nil {
		*f.tri(d), _ = ParseTristate(v)
		return
	}
	*f.text(d) = v
}

// Shown is the value as it may be shown: masked unless reveal.
func (f Field) Shown(d Details, reveal bool) string {
	v := f.Value(d)
	if f.Mask != nil && !reveal {
		return f.Mask(v)
	}
	return v
}

// Cell is the value as people read it in a table: masked, Yes/No for a
// tri-state, a dash when absent.
func (f Field) Cell(d Details) string {
	if f.tri != nil {
		return f.Tri(d).Label()
	}
	if v := f.Shown(d, false); v != "" {
		return v
	}
	return Dash
}

// Given is the raw value p gives for the field, nil when none.
func (f Field) Given(p Patch) *string { return *f.patch(&p) }

// Give makes p give v for the field.
func (f Field) Give(p *Patch, v *string) { *f.patch(p) = v }

// Normalize checks a raw value by the field's rule and returns it as stored.
func (f Field) Normalize(raw string, now time.Time) (string, error) {
	if f.tri != nil {
		t, ok := ParseTristate(raw)
		if !ok {
			return "", fmt.Errorf("must be yes, no or unset (got %q)", raw)
		}
		return triValue(t), nil
	}
	return f.normalize(raw, now)
}

// triValue is a tri-state as Value gives it.
func triValue(t Tristate) string {
	if t == Unset {
		return ""
	}
	return t.String()
}

// FieldNamed is the field of that name.
func FieldNamed(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// FieldKey is the column (the spreadsheet's header) of the field of that
// name; a name of no field is its own.
func FieldKey(name string) string {
	if f, ok := FieldNamed(name); ok {
		return f.Key()
	}
	return name
}

// Changes is the list of changed fields as an edit's audit event and
// messages spell it, as they always have: "first-name, phone".
func Changes(names []string) string {
	return strings.ReplaceAll(strings.Join(names, ", "), "_", "-")
}

// name is the rule of a first or last name.
func name(s string, _ time.Time) (string, error) {
	v, msg := ValidateName(s)
	if msg != "" {
		return "", fmt.Errorf("%s", msg)
	}
	return v, nil
}

// shortText is the rule of optional printable text of at most max characters.
func shortText(max int) func(string, time.Time) (string, error) {
	return func(s string, _ time.Time) (string, error) {
		v := clearable(s)
		if n := utf8.RuneCountInString(v); n > max {
			return "", fmt.Errorf("must be at most %d characters (got %d)", max, n)
		}
		if !printable(v) {
			return "", fmt.Errorf("must not contain control characters")
		}
		return v, nil
	}
}
