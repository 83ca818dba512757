// Package csvimport reads the invitation files `invitectl import` takes: CSV
// with a header row, columns by name in any order, "," or ";" as the
// separator (Excel in Sweden writes ";"), an optional UTF-8 byte order mark,
// quoted fields with embedded newlines, CRLF or LF line ends. It checks the
// file's shape; the rows' values are the domain's to validate.
package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// Columns are the columns a file may have, in the order documented.
var Columns = []string{"customer", "email", "first_name", "last_name", "swedish_citizen", "eu_eea_citizen",
	"personal_number", "lma_number", "phone", "gender", "language"}

// required columns; customer too unless every row's customer is given.
var required = []string{"email", "first_name", "last_name"}

// Parse reads a whole file. customer, when set, is every row's customer and
// the file must not have a customer column. Problems with the file's shape
// (an unknown, missing or repeated column, a row with too many fields, bad
// quoting) are returned as problems, in line order, with no records; an
// I/O error is returned as err.
func Parse(r io.Reader, customer string) ([]invite.ImportRecord, []invite.ImportProblem, error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, err
	}
	cr := csv.NewReader(br)
	cr.Comma = separator(first)
	cr.FieldsPerRecord = -1 // checked here, to say which line
	cr.ReuseRecord = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, []invite.ImportProblem{{Line: 1, Message: "the file is empty; it needs a header row naming its columns (" + strings.Join(Columns, ", ") + ")"}}, nil
	}
	if err != nil {
		return nil, []invite.ImportProblem{parseProblem(err)}, nil
	}
	index, problems := columns(header, customer != "")
	if len(problems) > 0 {
		return nil, problems, nil
	}
	var recs []invite.ImportRecord
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, err
			}
			problems = append(problems, parseProblem(err))
			if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
				break // the rest of the file cannot be read reliably
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if blank(row) {
			continue
		}
		if len(row) > len(header) {
			problems = append(problems, invite.ImportProblem{Line: line,
				Message: fmt.Sprintf("has %d fields but the header names %d columns; quote a value that contains %q", len(row), len(header), string(cr.Comma))})
			continue
		}
		recs = append(recs, record(line, row, index, customer))
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return recs, nil, nil
}

// separator is ";" when the header line has more of them than commas.
func separator(start []byte) rune {
	line, _, _ := bytes.Cut(start, []byte("\n"))
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		return ';'
	}
	return ','
}

// columns maps column names to their positions, or says what is wrong with
// the header.
func columns(header []string, customerGiven bool) (map[string]int, []invite.ImportProblem) {
	index := map[string]int{}
	var problems []invite.ImportProblem
	fail := func(format string, args ...any) {
		problems = append(problems, invite.ImportProblem{Line: 1, Message: fmt.Sprintf(format, args...)})
	}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch _, seen := index[name]; {
		case name == "":
			fail("column %d has no name", i+1)
		case !slices.Contains(Columns, name):
			fail("unknown column %q; the columns are: %s", h, strings.Join(Columns, ", "))
		case seen:
			fail("column %q appears twice", name)
		default:
			index[name] = i
		}
	}
	need := required
	if !customerGiven {
		need = append([]string{"customer"}, required...)
	}
	for _, name := range need {
		if _, ok := index[name]; !ok {
			if name == "customer" {
				fail("no customer column; add one, or give every row's customer with --customer")
				continue
			}
			fail("the required column %q is missing", name)
		}
	}
	if _, ok := index["customer"]; ok && customerGiven {
		fail("the file has a customer column and --customer is given too; use one or the other")
	}
	return index, problems
}

// record is one row as an import record; absent columns are not given.
func record(line int, row []string, index map[string]int, customer string) invite.ImportRecord {
	get := func(name string) *string {
		i, ok := index[name]
		if !ok || i >= len(row) {
			return nil
		}
		v := strings.TrimSpace(row[i])
		return &v
	}
	optional := func(name string) *string {
		if v := get(name); v != nil && *v != "" {
			return v
		}
		return nil
	}
	rec := invite.ImportRecord{Line: line}
	rec.Customer = customer
	if v := get("customer"); v != nil {
		rec.Customer = *v
	}
	if v := get("email"); v != nil {
		rec.Email = *v
	}
	if v := get("language"); v != nil {
		rec.Language = *v
	}
	d := &rec.Details
	d.FirstName, d.LastName = get("first_name"), get("last_name")
	if d.FirstName != nil && *d.FirstName == "" {
		d.FirstName = nil // reported as required, not as too short
	}
	if d.LastName != nil && *d.LastName == "" {
		d.LastName = nil
	}
	d.SwedishCitizen, d.EUCitizen = optional("swedish_citizen"), optional("eu_eea_citizen")
	d.PersonalNumber, d.LMANumber = optional("personal_number"), optional("lma_number")
	d.Phone, d.Gender = optional("phone"), optional("gender")
	return rec
}

func blank(row []string) bool {
	for _, v := range row {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func parseProblem(err error) invite.ImportProblem {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return invite.ImportProblem{Line: pe.StartLine, Message: fmt.Sprintf("cannot be read as CSV: %v (check the quotes)", pe.Err)}
	}
	return invite.ImportProblem{Line: 1, Message: err.Error()}
}
