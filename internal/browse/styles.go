package browse

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"

	"github.com/invitectl/invitectl/internal/invite"
)

// styles are how the screen looks. Without colour every style is a text
// attribute (bold, faint, underline, reverse), so that nothing depends on
// colour to be seen: the selected row and the focused button are reversed.
type styles struct {
	title, faint, bold   lipgloss.Style
	cell, header, chosen lipgloss.Style // table cells, headers, the chosen column's header
	selected             lipgloss.Style // the selected row, the focused item
	failure              lipgloss.Style
	box, danger          lipgloss.Style
	border               lipgloss.Style
	status               map[invite.Status]lipgloss.Style
	help                 help.Styles
	input                textinput.Styles
}

func newStyles(color bool) styles {
	plain := lipgloss.NewStyle()
	s := styles{
		title:    plain.Bold(true),
		faint:    plain.Faint(true),
		bold:     plain.Bold(true),
		cell:     plain.Padding(0, 1),
		header:   plain.Padding(0, 1).Bold(true),
		chosen:   plain.Padding(0, 1).Bold(true).Underline(true),
		selected: plain.Reverse(true),
		failure:  plain.Bold(true),
		box:      plain.Border(lipgloss.RoundedBorder()).Padding(0, 1),
		danger:   plain.Bold(true),
		border:   plain,
		status:   map[invite.Status]lipgloss.Style{},
	}
	s.help = help.Styles{
		ShortKey: plain.Bold(true), ShortDesc: plain, ShortSeparator: plain.Faint(true), Ellipsis: plain.Faint(true),
		FullKey: plain.Bold(true), FullDesc: plain, FullSeparator: plain.Faint(true),
	}
	s.input = textinput.Styles{
		// The focused field is underlined to its width, so that it shows as a field.
		Focused: textinput.StyleState{Text: plain.Underline(true), Placeholder: plain.Faint(true), Prompt: plain, Suggestion: plain.Faint(true)},
		Blurred: textinput.StyleState{Text: plain, Placeholder: plain.Faint(true), Prompt: plain, Suggestion: plain.Faint(true)},
		Cursor:  textinput.CursorStyle{Blink: false},
	}
	if !color {
		return s
	}
	accent := lipgloss.Color("12") // bright blue
	red := lipgloss.Color("9")
	s.title = s.title.Foreground(accent)
	s.chosen = s.chosen.Foreground(accent)
	s.failure = s.failure.Foreground(red)
	s.danger = s.danger.Foreground(red)
	s.box = s.box.BorderForeground(accent)
	s.border = s.border.Foreground(lipgloss.Color("8"))
	s.status = map[invite.Status]lipgloss.Style{
		invite.StatusPending: plain.Foreground(lipgloss.Color("2")), invite.StatusExpired: plain.Foreground(lipgloss.Color("3")),
		invite.StatusAccepted: plain.Foreground(lipgloss.Color("6")), invite.StatusRevoked: plain.Foreground(lipgloss.Color("1")),
	}
	s.help.ShortKey = s.help.ShortKey.Foreground(accent)
	s.help.FullKey = s.help.FullKey.Foreground(accent)
	return s
}
