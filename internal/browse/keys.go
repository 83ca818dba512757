package browse

import "charm.land/bubbles/v2/key"

// keyMap lists every key once; help shows it.
type keyMap struct {
	// The table.
	Up, Down, Left, Right   key.Binding
	Sort                    key.Binding
	NextPage, PrevPage      key.Binding
	Search, Filter, Actions key.Binding
	Clear, Help, Quit       key.Binding

	// Menus, forms and dialogs.
	Next, Prev, Choose, Close key.Binding
	// ForceQuit quits from anywhere, even while typing.
	ForceQuit key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Up:       b([]string{"up", "k"}, "↑/k", "previous row"),
		Down:     b([]string{"down", "j"}, "↓/j", "next row"),
		Left:     b([]string{"left"}, "←", "previous column"),
		Right:    b([]string{"right"}, "→", "next column"),
		Sort:     b([]string{"s"}, "s", "sort by the column (again: reverse)"),
		NextPage: b([]string{"n", "pgdown"}, "n/PgDn", "next page"),
		PrevPage: b([]string{"p", "pgup"}, "p/PgUp", "previous page"),
		Search:   b([]string{"/"}, "/", "search"),
		Filter:   b([]string{"f"}, "f", "status filter"),
		Actions:  b([]string{"enter"}, "enter", "actions"),
		Clear:    b([]string{"esc"}, "esc", "clear the search"),
		Help:     b([]string{"?"}, "?", "help"),
		Quit:     b([]string{"q"}, "q", "quit"),

		Next:      b([]string{"down", "right", "tab"}, "↓/→/tab", "next"),
		Prev:      b([]string{"up", "left", "shift+tab"}, "↑/←/shift+tab", "previous"),
		Choose:    b([]string{"enter"}, "enter", "choose"),
		Close:     b([]string{"esc"}, "esc", "close, change nothing"),
		ForceQuit: b([]string{"ctrl+c"}, "ctrl+c", "quit"),
	}
}

// ShortHelp is the line under the table: the same keys, in fewer words, and
// few enough to fit 80 columns (↑↓ for rows goes without saying).
func (k keyMap) ShortHelp() []key.Binding {
	short := func(b key.Binding, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(help, desc))
	}
	return []key.Binding{
		short(k.Right, "←→", "column"), short(k.Sort, "s", "sort"),
		short(k.NextPage, "n/p", "page"), short(k.Search, "/", "search"), short(k.Filter, "f", "status"),
		short(k.Actions, "enter", "actions"), short(k.Help, "?", "help"), short(k.Quit, "q", "quit"),
	}
}

// FullHelp is what ? shows.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Left, k.Right, k.Sort},
		{k.NextPage, k.PrevPage, k.Search, k.Clear, k.Filter},
		{k.Actions, k.Next, k.Prev, k.Choose, k.Close, k.Help, k.Quit},
	}
}
