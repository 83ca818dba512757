package browse

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/termfit"
)

// form edits an invitation's details in the side panel. It holds what the
// user typed; the rules are the Service's: it checks the typed values with
// invite.Patch as the focus leaves a field, and the Service decides on
// UPDATE, with the version the form was opened at.
type form struct {
	inv    invite.Invitation // as read when the form opened
	st     styles
	width  int
	fields []field
	focus  int               // a field, or len(fields)+buttonUpdate/buttonClose
	errors map[string]string // by the Service's field name
	// problem is what stopped the last UPDATE, when it was not one field.
	problem string
	saving  bool
}

// field is one editable detail: text, or a choice among a few values.
type field struct {
	name    string // the field's name (first_name, phone, …) or language
	label   string
	input   textinput.Model // text
	choices []choice        // a choice
	chosen  int
	orig    string // the value the form opened with
	note    string
}

type choice struct{ label, value string }

const (
	buttonUpdate = iota
	buttonClose
)

var (
	tristateChoices = []choice{{"Yes", "yes"}, {"No", "no"}, {invite.Dash, "unset"}}
	languageChoices = []choice{{"Swedish", invite.Swedish}, {"English", invite.English}}
)

// Panel sizes: the labels' column, and the panel's widest.
const (
	labelWidth    = 21
	maxPanelWidth = 60
)

func newForm(inv invite.Invitation, st styles, width int) form {
	text := func(name, label, value, note string) field {
		// Stored text is shown with control and format characters as
		// escapes (a U+202E would reorder the panel); left as shown, it is
		// kept as stored.
		value = termfit.Safe(value)
		in := newInput(st, value)
		in.Placeholder = invite.Dash
		return field{name: name, label: label, input: in, orig: value, note: note}
	}
	pick := func(name, label string, choices []choice, value string) field {
		f := field{name: name, label: label, choices: choices, orig: value}
		f.chosen = max(slices.IndexFunc(choices, func(c choice) bool { return c.value == value }), 0)
		return f
	}
	var fields []field
	for _, fd := range invite.Fields {
		switch {
		case fd.Tristate():
			fields = append(fields, pick(fd.Name, fd.Label, tristateChoices, fd.Tri(inv.Details).String()))
		case fd.Choices != nil:
			choices := []choice{}
			for _, c := range fd.Choices {
				choices = append(choices, choice{strings.ToUpper(c[:1]) + c[1:], c})
			}
			fields = append(fields, pick(fd.Name, fd.Label, append(choices, choice{invite.Dash, "unset"}), cmp.Or(fd.Value(inv.Details), "unset")))
		case fd.Mask != nil:
			// Shown masked: left as it is, it is kept.
			fields = append(fields, text(fd.Name, fd.Label, fd.Shown(inv.Details, false), fd.Format+"; leave as shown to keep"))
		default:
			fields = append(fields, text(fd.Name, fd.Label, fd.Value(inv.Details), ""))
		}
	}
	f := form{inv: inv, st: st, errors: map[string]string{},
		fields: append(fields, pick("language", "Language", languageChoices, inv.Language))}
	f.resize(width)
	return f
}

func (f *field) text() bool { return f.choices == nil }

func (f *field) value() string {
	if f.text() {
		return f.input.Value()
	}
	return f.choices[f.chosen].value
}

func (f *form) resize(width int) {
	f.width = width
	for i := range f.fields {
		f.fields[i].input.SetWidth(max(width-labelWidth-6, 8))
	}
}

// patch is what the user changed: a nil field is left as it is, as the
// masked personal number is when it still reads as shown.
func (f *form) patch() (invite.Patch, *string) {
	var p invite.Patch
	var lang *string
	for i := range f.fields {
		fl := &f.fields[i]
		v := fl.value()
		if v == fl.orig {
			continue
		}
		if fl.name == "language" {
			lang = &v
			continue
		}
		if fd, ok := invite.FieldNamed(fl.name); ok {
			fd.Give(&p, &v)
		}
	}
	return p, lang
}

// check shows the rules' verdict on what was typed so far, field by field,
// before anything is saved.
func (f *form) check(m *Model) {
	p, _ := f.patch()
	_, _, err := p.ApplyAt(f.inv.Details, m.o.Now())
	f.errors = map[string]string{}
	for _, fe := range invite.ErrorFields(err) {
		f.errors[fe.Field] = fe.Message
	}
}

// failed shows why an UPDATE did not save: beside the fields the Service
// named, or for the whole form.
func (f *form) failed(err error) {
	f.errors = map[string]string{}
	f.problem = ""
	var unplaced []string
	for _, fe := range invite.ErrorFields(err) {
		if slices.ContainsFunc(f.fields, func(fl field) bool { return fl.name == fe.Field }) {
			f.errors[fe.Field] = fe.Message
		} else {
			unplaced = append(unplaced, fe.String())
		}
	}
	switch {
	case errors.Is(err, invite.ErrEditedMeanwhile):
		f.problem = fmt.Sprintf("someone else changed invitation %d meanwhile (it is now at version %d), and it was not overwritten; press Esc and open it again to see the changes",
			f.inv.ID, invite.ErrorAbout(err).Version)
	case len(f.errors) > 0 && len(unplaced) == 0:
		f.problem = "correct the fields marked ✗"
	case len(unplaced) > 0:
		f.problem = strings.Join(unplaced, "; ")
	default:
		f.problem = strings.TrimSuffix(message(err), ".")
	}
}

// focusField gives the keyboard to the focused field's text input.
func (f *form) focusField() tea.Cmd {
	var cmd tea.Cmd
	for i := range f.fields {
		if i == f.focus && f.fields[i].text() {
			cmd = f.fields[i].input.Focus()
		} else {
			f.fields[i].input.Blur()
		}
	}
	return cmd
}

func (f *form) move(m *Model, by int) tea.Cmd {
	n := len(f.fields) + 2 // the fields and the two buttons
	f.focus = (f.focus + by + n) % n
	f.check(m)
	return f.focusField()
}

// onButtons reports whether the focus is on UPDATE or CANCEL.
func (f *form) onButtons() bool { return f.focus >= len(f.fields) }

func (m *Model) formKey(k tea.KeyPressMsg) tea.Cmd {
	f := &m.form
	if f.saving {
		return nil // one UPDATE at a time
	}
	switch k.String() {
	case "left", "right":
		by := map[string]int{"left": -1, "right": +1}[k.String()]
		switch {
		case f.onButtons():
			f.focus = len(f.fields) + 1 - (f.focus - len(f.fields))
			return nil
		case !f.fields[f.focus].text():
			fl := &f.fields[f.focus]
			fl.chosen = max(min(fl.chosen+by, len(fl.choices)-1), 0)
			return nil
		}
		return f.typeText(k) // moves the cursor within the text
	case "tab", "down":
		return f.move(m, +1)
	case "shift+tab", "up":
		return f.move(m, -1)
	}
	switch {
	case key.Matches(k, m.keys.Close):
		m.mode = modeTable
		m.note(fmt.Sprintf("Invitation %d was not changed.", f.inv.ID))
		return nil
	case key.Matches(k, m.keys.Choose):
		switch {
		case f.focus == len(f.fields)+buttonUpdate:
			f.check(m)
			return m.save()
		case f.focus == len(f.fields)+buttonClose:
			m.mode = modeTable
			m.note(fmt.Sprintf("Invitation %d was not changed.", f.inv.ID))
			return nil
		}
		return f.move(m, +1)
	}
	return f.typeText(k)
}

// typeText gives msg to the focused text field.
func (f *form) typeText(msg tea.Msg) tea.Cmd {
	if f.onButtons() || !f.fields[f.focus].text() {
		return nil
	}
	var cmd tea.Cmd
	f.fields[f.focus].input, cmd = f.fields[f.focus].input.Update(msg)
	return cmd
}

// view draws the panel in at most height lines. When there is not room for
// everything, the blank lines go first, then the panel shows the lines
// around the focus, marking what is above and below with ⋮.
func (f form) view(height int) string {
	st := f.st
	inner := f.width - 4 // the border and the padding
	row := func(label, value string, focused bool) string {
		marker := "  "
		if focused {
			marker = "› "
			label = st.bold.Render(label)
		}
		return marker + lipgloss.NewStyle().Width(labelWidth).Render(label) + value
	}
	wrap := lipgloss.NewStyle().Width(max(inner-labelWidth-2, 10))
	indent := strings.Repeat(" ", labelWidth+2)
	var lines []string
	add := func(block string) {
		lines = append(lines, strings.Split(block, "\n")...)
	}
	under := func(style lipgloss.Style, s string) {
		for _, l := range strings.Split(wrap.Render(s), "\n") {
			lines = append(lines, style.Render(indent+l))
		}
	}
	add(st.bold.Render(fmt.Sprintf("Edit invitation %d", f.inv.ID)))
	if f.problem != "" {
		add(st.failure.Render(lipgloss.NewStyle().Width(inner).Render("Not saved: " + termfit.Safe(f.problem) + ".")))
	}
	add("")
	add(row("Customer account", st.faint.Render(termfit.Safe(f.inv.Customer)), false))
	add(row("Email", st.faint.Render(termfit.Safe(f.inv.Email)), false))
	add(st.faint.Render(lipgloss.NewStyle().Width(inner).Render("  Not editable: to change them, revoke and invite again.")))
	add("")
	focusLine := 0
	for i, fl := range f.fields {
		focused := i == f.focus
		var value string
		if fl.text() {
			value = fl.input.View()
		} else {
			var opts []string
			for j, c := range fl.choices {
				switch {
				case j == fl.chosen && focused:
					opts = append(opts, st.selected.Render("["+c.label+"]"))
				case j == fl.chosen:
					opts = append(opts, "["+c.label+"]")
				default:
					opts = append(opts, " "+c.label+" ")
				}
			}
			value = strings.Join(opts, " ")
		}
		if focused {
			focusLine = len(lines)
		}
		add(row(fl.label, value, focused))
		if fl.note != "" && focused {
			under(st.faint, fl.note)
		}
		if e, ok := f.errors[fl.name]; ok {
			under(st.failure, "✗ "+termfit.Safe(e))
		}
	}
	add("")
	update := button(st, "UPDATE", f.focus == len(f.fields)+buttonUpdate)
	cancel := button(st, "CANCEL", f.focus == len(f.fields)+buttonClose)
	if f.saving {
		update = st.faint.Render("  Saving…  ")
	}
	if f.onButtons() {
		focusLine = len(lines)
	}
	add("  " + lipgloss.JoinHorizontal(lipgloss.Top, update, "  ", cancel))
	return st.box.Width(f.width).Render(strings.Join(fitLines(lines, focusLine, height-2), "\n"))
}

// fitLines keeps at most n of lines, and line focus among them: blank lines
// go first, then the lines furthest from the focus.
func fitLines(lines []string, focus, n int) []string {
	n = max(n, 3)
	for i := len(lines) - 1; i > 0 && len(lines) > n; i-- {
		if strings.TrimSpace(ansi.Strip(lines[i])) == "" {
			lines = slices.Delete(lines, i, i+1)
			if i <= focus {
				focus--
			}
		}
	}
	if len(lines) <= n {
		return lines
	}
	start := max(min(focus-n/2, len(lines)-n), 0)
	out := slices.Clone(lines[start : start+n])
	if start > 0 {
		out[0] = "  ⋮"
	}
	if start+n < len(lines) {
		out[n-1] = "  ⋮"
	}
	return out
}
