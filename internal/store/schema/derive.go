package schema

import (
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/invitectl/invitectl/internal/invite"
)

// The derived columns are computed here and nowhere else, identically for
// every engine: the stores write them, and the migration that rederives old
// rows (Rederive) reads them from here too.

// Keys are the derived columns of an invitation.
type Keys struct {
	Email     string // email_key: invite.EmailKey
	Search    string // search_text: SearchText
	FirstName []byte // first_name_key: invite.SortKey
	LastName  []byte // last_name_key
}

// InvitationKeys derives the keys of an invitation's names and email.
func InvitationKeys(first, last, email string) Keys {
	return Keys{
		Email:     invite.EmailKey(email),
		Search:    SearchText(first, last, email),
		FirstName: invite.SortKey(first),
		LastName:  invite.SortKey(last),
	}
}

// SearchText is what a search matches: the first name, the last name and
// the email key, each folded (NFC, lower case) on its own line, so that a
// search never matches across two fields. None of them can hold a newline.
func SearchText(first, last, email string) string {
	return fold(first) + "\n" + fold(last) + "\n" + invite.EmailKey(email)
}

// SearchTerms are the terms of a search as they are matched against
// SearchText: the whitespace-separated words of the search, each folded
// the same way (so composed and decomposed spellings find each other),
// without repeats. A row matches when its search text contains every term;
// no term holds whitespace, so none matches across two fields.
func SearchTerms(search string) []string {
	var terms []string
	for _, t := range strings.Fields(fold(search)) {
		if !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	return terms
}

// TrigramMin is the length, in characters, from which a term can be found
// through a trigram index (SQLite's FTS5 trigram tokenizer, PostgreSQL's
// pg_trgm): a shorter term holds no trigram, and is matched by reading the
// rows the other terms found, or every row when no term is that long.
const TrigramMin = 3

// Indexed reports whether a search term can be looked up in the trigram
// index (it has at least TrigramMin characters).
func Indexed(term string) bool { return utf8.RuneCountInString(term) >= TrigramMin }

// CustomerKey is the case-insensitive identity of a customer name.
func CustomerKey(name string) string { return fold(strings.TrimSpace(name)) }

// fold is NFC, lower-cased, NFC again (lower-casing can decompose).
func fold(s string) string { return norm.NFC.String(strings.ToLower(norm.NFC.String(s))) }

// NFC normalises a stored value, as validation normalises new ones.
func NFC(s string) string { return norm.NFC.String(s) }
