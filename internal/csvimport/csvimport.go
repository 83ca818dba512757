// Package csvimport reads the invitation files `invitectl import` takes:
// spreadsheet text with a header row, columns by name in any order. Text is
// UTF-8 (with or without a byte order mark), UTF-16 with a byte order mark,
// or Windows-1252 (see decode); the separator is ",", ";" (Excel in Sweden)
// or a tab, whichever the header line has most of; quoted fields may hold
// newlines; lines end in CRLF or LF. It checks the file's shape; the rows'
// values are the domain's to validate.
package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/suggest"
)

// Columns are the columns a file may have, in the order documented: the
// customer, the email, each field's, the language.
var Columns = func() []string {
	cols := []string{"customer", "email"}
	for _, f := range invite.Fields {
		cols = append(cols, f.Key())
	}
	return append(cols, "language")
}()

// aliases are the other headers a column is known by: the headings of
// list's table, and each field's aliases. A header is compared by its key
// (see key).
var aliases = func() map[string][]string {
	m := map[string][]string{"customer": {"Customer account"}}
	for _, f := range invite.Fields {
		m[f.Key()] = append([]string{f.Label}, f.Aliases...)
	}
	return m
}()

// ReadOnly are the columns that `list -o csv|xlsx` writes and an import
// cannot set; they are ignored, with one notice. id and version are read
// by an update.
var ReadOnly = []string{"id", "status", "sent_on", "sent_by", "expires_at", "version", "emails_sent",
	"last_sent_at", "delivery", "accepted_at", "revoked_at"}

// required columns; customer too unless every row's customer is given.
var required = []string{"email", "first_name", "last_name"}

// key is a header as compared: lower case, without spaces, "_" and "-".
func key(h string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '\t', '\u00a0':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(h)))
}

// byKey maps each header key to its column.
var byKey = func() map[string]string {
	m := map[string]string{}
	for _, c := range slices.Concat(Columns, ReadOnly) {
		m[key(c)] = c
	}
	for c, as := range aliases {
		for _, a := range as {
			m[key(a)] = c
		}
	}
	return m
}()

// Options say how to read a file.
type Options struct {
	// Customer, when set, is every row's customer; the file must then not
	// have a customer column.
	Customer string
	// Encoding is auto (or ""), utf-8, utf-16 or windows-1252.
	Encoding string
	// Update reads the id and version columns, and needs no customer.
	Update bool
}

// File is what Parse read: the records, in file order, and notices for
// the user (an encoding guessed, columns ignored, masked values dropped).
type File struct {
	Records []invite.ImportRecord
	Notices []string
}

// maskedPersonalNumber is a personal number as every export writes it.
var maskedPersonalNumber = regexp.MustCompile(`^[0-9]{8}-\*{4}$`)

// Parse reads a whole file. Problems with the file's shape (an encoding
// it is not in, an unknown, missing or repeated column, a row with too
// many fields, bad quoting) are returned as problems, in line order, with
// no records; an I/O error is returned as err.
func Parse(r io.Reader, opts Options) (File, []invite.ImportProblem, error) {
	rs, ok := r.(io.ReadSeeker)
	if ok {
		// A pipe is an *os.File too, but cannot seek.
		_, err := rs.Seek(0, io.SeekCurrent)
		ok = err == nil
	}
	if !ok {
		data, err := io.ReadAll(r)
		if err != nil {
			return File{}, nil, err
		}
		rs = bytes.NewReader(data)
	}
	var f File
	notices, problems, err := Scan(rs, opts, func(rec invite.ImportRecord) error {
		f.Records = append(f.Records, rec)
		return nil
	})
	if err != nil || problems != nil {
		return File{}, problems, err
	}
	f.Notices = notices
	return f, nil, nil
}

// Scan reads the file r from its start as Parse does, but passes each
// record to fn, in file order, instead of keeping them, so that memory
// stays flat however long the file; it may be called again for a second
// pass. It returns the notices, or the problems with the file's shape
// (fn may have had the records before them); an error of fn ends it and is
// returned as err.
func Scan(rs io.ReadSeeker, opts Options, fn func(invite.ImportRecord) error) ([]string, []invite.ImportProblem, error) {
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	zip, err := isZip(rs)
	if err != nil {
		return nil, nil, err
	}
	if zip {
		src, err := openXLSX(rs)
		if err != nil {
			return nil, []invite.ImportProblem{{Line: 1, Message: err.Error()}}, nil
		}
		defer src.Close()
		return parseRows(src, opts, nil, fn)
	}
	var notices []string
	text, _, notice, err := decode(rs, opts.Encoding)
	if problems, err := encodingProblem(err); problems != nil || err != nil {
		return nil, problems, err
	}
	if notice != "" {
		notices = append(notices, notice)
	}
	br := bufio.NewReader(text)
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		problems, err := encodingProblem(err)
		return nil, problems, err
	}
	cr := csv.NewReader(br)
	cr.Comma = separator(first)
	cr.FieldsPerRecord = -1 // checked here, to say which line
	cr.ReuseRecord = true
	return parseRows(csvRows{cr}, opts, notices, fn)
}

// rows are a file's rows, header first.
type rows interface {
	// next returns the next row and the line where it starts; io.EOF at
	// the end. A *csv.ParseError is a problem of that line.
	next() ([]string, int, error)
	// tooMany explains a row of n cells under a header of m columns.
	tooMany(n, m int) string
}

type csvRows struct{ r *csv.Reader }

func (c csvRows) next() ([]string, int, error) {
	row, err := c.r.Read()
	if err != nil {
		return nil, 0, err
	}
	line, _ := c.r.FieldPos(0)
	return row, line, nil
}

func (c csvRows) tooMany(n, m int) string {
	return fmt.Sprintf("has %d fields but the header names %d columns; quote a value that contains %q", n, m, string(c.r.Comma))
}

// parseRows reads the header and the records of src, passing each record
// to fn until a problem is found.
func parseRows(src rows, opts Options, notices []string, fn func(invite.ImportRecord) error) ([]string, []invite.ImportProblem, error) {
	header, _, err := src.next()
	if errors.Is(err, io.EOF) {
		return nil, []invite.ImportProblem{{Line: 1, Message: "the file is empty; it needs a header row naming its columns (" + strings.Join(Columns, ", ") + ")"}}, nil
	}
	if problems, err := encodingProblem(err); problems != nil || err != nil {
		return nil, problems, err
	}
	if err != nil {
		return nil, []invite.ImportProblem{parseProblem(err)}, nil
	}
	header = slices.Clone(header)
	index, ignored, problems := columns(header, opts)
	if len(problems) > 0 {
		return nil, problems, nil
	}
	if len(ignored) > 0 {
		notices = append(notices, fmt.Sprintf("ignoring the %s %s, which an import cannot set", plural(len(ignored), "column", "columns"), strings.Join(ignored, ", ")))
	}
	masked := 0
	for {
		row, line, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if ps, err := encodingProblem(err); ps != nil || err != nil {
			return nil, append(problems, ps...), err
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
		if blank(row) {
			continue
		}
		if len(row) > len(header) {
			if !blank(row[len(header):]) {
				problems = append(problems, invite.ImportProblem{Line: line, Message: src.tooMany(len(row), len(header))})
				continue
			}
			row = row[:len(header)]
		}
		rec := record(line, row, index, opts)
		if pn := rec.Details.PersonalNumber; pn != nil && maskedPersonalNumber.MatchString(*pn) {
			rec.Details.PersonalNumber = nil
			masked++
		}
		if len(problems) == 0 {
			if err := fn(rec); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	if masked > 0 && !opts.Update {
		notices = append(notices, fmt.Sprintf("%d masked personal %s (YYYYMMDD-****, as exports write them) left empty; `invitectl copy` moves a store with its personal numbers",
			masked, plural(masked, "number", "numbers")))
	}
	return notices, nil, nil
}

// encodingProblem turns an EncodingError into the file's one problem; any
// other error is passed on, except those of reading CSV, which the caller
// reports by line.
func encodingProblem(err error) ([]invite.ImportProblem, error) {
	var ee *EncodingError
	if errors.As(err, &ee) {
		return []invite.ImportProblem{{Line: ee.Line, Message: "cannot be read as text: " + ee.Message}}, nil
	}
	var pe *csv.ParseError
	if err == nil || errors.As(err, &pe) || errors.Is(err, io.EOF) {
		return nil, nil
	}
	return nil, err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// separator is the one of ",", ";" and tab that the header line has most
// of (outside quotes); "," when it has none.
func separator(start []byte) rune {
	line, _, _ := bytes.Cut(start, []byte("\n"))
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(line) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// columns maps column names to their positions, or says what is wrong with
// the header. ignored are the read-only columns found, as written.
func columns(header []string, opts Options) (map[string]int, []string, []invite.ImportProblem) {
	index := map[string]int{}
	var ignored []string
	var problems []invite.ImportProblem
	fail := func(format string, args ...any) {
		problems = append(problems, invite.ImportProblem{Line: 1, Message: fmt.Sprintf(format, args...)})
	}
	unknown := 0
	for i, h := range header {
		name, known := byKey[key(h)]
		if known && slices.Contains(ReadOnly, name) && (!opts.Update || name != "id" && name != "version") {
			ignored = append(ignored, fmt.Sprintf("%q", strings.TrimSpace(h)))
			continue
		}
		switch _, seen := index[name]; {
		case strings.TrimSpace(h) == "":
			fail("column %d has no name", i+1)
		case !known:
			unknown++
			if s := suggestColumn(h); s != "" {
				fail("unknown column %q; did you mean %q?", h, s)
			} else {
				fail("unknown column %q", h)
			}
		case seen:
			fail("column %q appears twice", name)
		default:
			index[name] = i
		}
	}
	if unknown > 0 {
		fail("the columns are %s (named as list's table heads them, too: %q, %q…); an export's %s are ignored",
			strings.Join(Columns, ", "), "First name", "Phone number", strings.Join(ReadOnly, ", "))
	}
	need := required
	switch {
	case opts.Update:
		need = nil
		if _, ok := index["id"]; !ok {
			need = []string{"email"}
		}
	case opts.Customer == "":
		need = append([]string{"customer"}, required...)
	}
	for _, name := range need {
		if _, ok := index[name]; !ok {
			switch {
			case name == "customer":
				fail("no customer column; add one, or give every row's customer with --customer")
			case opts.Update:
				fail("an update needs an id or an email column to find each row's invitation")
			default:
				fail("the required column %q is missing", name)
			}
		}
	}
	if _, ok := index["customer"]; ok && opts.Customer != "" {
		fail("the file has a customer column and --customer is given too; use one or the other")
	}
	return index, ignored, problems
}

// suggestColumn returns the column whose name or heading is closest to h, when
// one is close enough to be a likely typo, or "".
func suggestColumn(h string) string {
	k := key(h)
	best, dist := "", 3
	for alias, c := range byKey {
		if slices.Contains(ReadOnly, c) {
			continue
		}
		d := suggest.Distance(k, alias)
		if len(k) >= 3 && k[0] == alias[0] && subsequence(k, alias) {
			d = min(d, 1) // "fname", "phonenr", "lang"
		}
		if d < dist || d == dist && c < best {
			best, dist = c, d
		}
	}
	return best
}

// subsequence reports whether the bytes of a appear in b in order.
func subsequence(a, b string) bool {
	for i := 0; i < len(b) && a != ""; i++ {
		if b[i] == a[0] {
			a = a[1:]
		}
	}
	return a == ""
}

// record is one row as an import record; absent columns are not given.
// An empty optional cell, or "—" (how list's table shows an absent value),
// is not given either, except in an update, where it clears the value.
func record(line int, row []string, index map[string]int, opts Options) invite.ImportRecord {
	get := func(name string) *string {
		i, ok := index[name]
		if !ok || i >= len(row) {
			return nil
		}
		v := unguard(strings.TrimSpace(row[i]))
		return &v
	}
	optional := func(name string) *string {
		v := get(name)
		switch {
		case v == nil:
			return nil
		case *v == "" || *v == "—":
			if opts.Update {
				return new(string)
			}
			return nil
		}
		return v
	}
	value := func(name string) string {
		if v := get(name); v != nil {
			return *v
		}
		return ""
	}
	rec := invite.ImportRecord{Line: line}
	rec.Customer = opts.Customer
	if v := get("customer"); v != nil {
		rec.Customer = *v
	}
	rec.Email, rec.Language = value("email"), value("language")
	if opts.Update {
		rec.ID, rec.Version = value("id"), value("version")
	}
	d := &rec.Details
	for _, f := range invite.Fields {
		v := optional(f.Key())
		if f.Required {
			if v = get(f.Key()); v != nil && *v == "" && !opts.Update {
				v = nil // reported as required, not as too short
			}
		}
		f.Give(d, v)
	}
	return rec
}

// unguard undoes the apostrophe that `list -o csv` puts before a value a
// spreadsheet would run as a formula (=, +, -, @, tab, carriage return).
func unguard(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(v[1])) {
		return v[1:]
	}
	return v
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
