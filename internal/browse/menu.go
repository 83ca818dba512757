package browse

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/termfit"
)

// menu is a row's actions menu.
type menu struct {
	inv   invite.Invitation
	focus int
}

// The actions, in the menu's order.
const (
	actionEdit = iota
	actionResend
	actionRevoke
)

var menuItems = []string{actionEdit: "Edit", actionResend: "Resend invitation", actionRevoke: "Revoke"}

func (m *Model) menuKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Close):
		m.mode = modeTable
	case key.Matches(k, m.keys.Next):
		m.menu.focus = (m.menu.focus + 1) % len(menuItems)
	case key.Matches(k, m.keys.Prev):
		m.menu.focus = (m.menu.focus + len(menuItems) - 1) % len(menuItems)
	case key.Matches(k, m.keys.Choose):
		m.mode = modeTable
		inv := m.menu.inv
		switch m.menu.focus {
		case actionEdit:
			return m.openEdit(inv)
		case actionResend:
			return m.resend(inv)
		case actionRevoke:
			m.dialog = dialog{inv: inv, focus: buttonCancel}
			m.mode = modeConfirm
		}
	}
	return nil
}

func (mn menu) view(st styles) string {
	lines := []string{st.bold.Render(fmt.Sprintf("Invitation %d", mn.inv.ID)), st.faint.Render(termfit.Safe(mn.inv.Email)), ""}
	for i, item := range menuItems {
		if i == mn.focus {
			lines = append(lines, st.selected.Render("› "+item+" "))
		} else {
			lines = append(lines, "  "+item+" ")
		}
	}
	return st.box.Render(strings.Join(lines, "\n"))
}

// dialog asks before revoking; CANCEL has the focus until the user moves it.
type dialog struct {
	inv   invite.Invitation
	focus int
}

const (
	buttonRevoke = iota
	buttonCancel
)

func (m *Model) confirmKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Close):
		m.mode = modeTable
		m.note(fmt.Sprintf("Invitation %d was not revoked.", m.dialog.inv.ID))
	case key.Matches(k, m.keys.Next, m.keys.Prev):
		m.dialog.focus = 1 - m.dialog.focus
	case key.Matches(k, m.keys.Choose):
		m.mode = modeTable
		if m.dialog.focus == buttonRevoke {
			return m.revoke(m.dialog.inv)
		}
		m.note(fmt.Sprintf("Invitation %d was not revoked.", m.dialog.inv.ID))
	}
	return nil
}

func (d dialog) view(st styles, width int) string {
	width = min(width, 60)
	text := lipgloss.NewStyle().Width(width - 4)
	body := strings.Join([]string{
		st.danger.Render("Revoke invitation"),
		"",
		text.Render(fmt.Sprintf("The invitation for %s will be revoked and the user will be unable to register an account.", termfit.Safe(d.inv.Email))),
		"",
		text.Render("Are you sure you want to revoke this invitation?"),
		"",
		lipgloss.JoinHorizontal(lipgloss.Top, button(st, "REVOKE", d.focus == buttonRevoke), "  ", button(st, "CANCEL", d.focus == buttonCancel)),
	}, "\n")
	return st.box.Render(body)
}

// button is a button; the focused one is bracketed and reversed, so that
// the focus shows without colour.
func button(st styles, label string, focused bool) string {
	if focused {
		return st.selected.Render("[ " + label + " ]")
	}
	return "  " + label + "  "
}
