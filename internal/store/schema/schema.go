// Package schema holds what the store's engines share about the schema: the
// derived columns (sort keys, search text, email key), the sort columns, and
// the loader of the embedded migrations, files named NNNN_what.sql, numbered
// 1, 2, 3… without gaps.
package schema

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// Migration is one migration file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Embedded is the migrations folder of an engine's embedded files.
func Embedded(fsys fs.FS) fs.FS {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		panic(err) // embed.FS refuses no valid name
	}
	return sub
}

// Load reads and orders the migrations in fsys.
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: path.Base(name), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d: versions must run 1, 2, 3… without gaps", m.Name, i+1)
		}
	}
	return out, nil
}

// SortColumns maps each sort field to the indexed invitations column it
// orders by, the same in both stores. The name keys are collation keys
// computed in Go and compared as bytes, and sent-on (the creation time) is a
// time, so both stores
// order identically without a database collation.
var SortColumns = map[invite.SortField]string{
	invite.SortCustomer:  "customer_key",
	invite.SortFirstName: "first_name_key",
	invite.SortLastName:  "last_name_key",
	invite.SortEmail:     "email_key",
	invite.SortSentOn:    "created_at",
}

// SortIndexes names the index that serves each sort field, led by state.
var SortIndexes = map[invite.SortField]string{
	invite.SortCustomer:  "invitations_by_customer",
	invite.SortFirstName: "invitations_by_first_name",
	invite.SortLastName:  "invitations_by_last_name",
	invite.SortEmail:     "invitations_by_email",
	invite.SortSentOn:    "invitations_by_sent_on",
}
