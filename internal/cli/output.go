package cli

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/termfit"
)

// invitationJSON is the JSON shape of an invitation (CONTRACT.md); its
// keys are the CSV's header.
type invitationJSON = object

// member is one key and value of a JSON object.
type member struct {
	key   string
	value any
}

// object is a JSON object whose members keep their order.
type object []member

// MarshalJSON writes the members in order; an encoder lays them out and
// escapes them as it does a struct's.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := enc.Encode(m.value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// keys are the object's keys, in order.
func (o object) keys() []string {
	keys := make([]string, len(o))
	for i, m := range o {
		keys[i] = m.key
	}
	return keys
}

// optionalTime is t in RFC 3339, nil when zero.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return optional(rfc3339(t))
}

// optional is v, nil when it is the zero value (an absent text or ID).
func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// withDetails is o, then d's required fields, then more, then d's optional
// fields, each by its key (absent values null, tri-states booleans), the
// personal number masked unless reveal. Invitations and users share it.
func withDetails(o object, d invite.Details, reveal bool, more ...member) object {
	for _, f := range invite.Fields {
		if f.Required {
			o = append(o, member{f.Key(), f.Value(d)})
		}
	}
	o = append(o, more...)
	for _, f := range invite.Fields {
		switch {
		case f.Required:
		case f.Tristate():
			o = append(o, member{f.Key(), f.Tri(d).Bool()})
		default:
			o = append(o, member{f.Key(), optional(f.Shown(d, reveal))})
		}
	}
	return o
}

// toJSON converts an invitation; the personal number is masked unless reveal.
func toJSON(inv invite.Invitation, now time.Time, reveal bool) invitationJSON {
	o := withDetails(object{{"id", inv.ID}, {"customer", inv.Customer}}, inv.Details, reveal,
		member{"email", inv.Email}, member{"status", string(inv.Status(now))})
	return append(o, member{"language", inv.Language}, member{"sent_on", rfc3339(inv.CreatedAt)},
		member{"sent_by", optional(inv.CreatedBy)}, member{"expires_at", rfc3339(inv.ExpiresAt)},
		member{"version", inv.Version}, member{"emails_sent", inv.SendCount},
		member{"last_sent_at", optionalTime(inv.LastSentAt)}, member{"delivery", string(cmp.Or(inv.Delivery, invite.DeliveryNone))},
		member{"accepted_at", optionalTime(inv.AcceptedAt)}, member{"revoked_at", optionalTime(inv.RevokedAt)})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// invitationColumns are the table columns, in the contract's order.
var invitationColumns = func() table.Row {
	header := make(table.Row, len(termfit.InvitationHeader))
	for i, h := range termfit.InvitationHeader {
		header[i] = h
	}
	return header
}()

// invitationTable is an empty table of invitations that fits a terminal as
// termfit.InvitationColumns says.
func invitationTable(st style) wideTable {
	return wideTable{header: invitationColumns, columns: termfit.InvitationColumns()}
}

// csvColumns are the CSV header: the JSON keys.
var csvColumns = toJSON(invite.Invitation{}, time.Time{}, false).keys()

func dash(s string) string {
	if s == "" {
		return invite.Dash
	}
	return s
}

// style decides how tables look: boxed and coloured on a terminal, fitted
// to its width, with times as people read them; plain columns with every
// column and RFC 3339 times when piped.
type style struct {
	tty   bool
	color bool
	wide  bool           // every column even on a terminal (-o wide)
	width int            // the terminal's columns, 0 when unknown
	now   time.Time      // for relative times
	loc   *time.Location // for dates on a terminal
}

func (st style) newTable(w io.Writer) table.Writer {
	st.tellColor()
	t := table.NewWriter()
	if !st.tty {
		t.SetStyle(table.StyleDefault)
		t.Style().Options = table.Options{}
		t.Style().Box.PaddingLeft = ""
		t.Style().Box.PaddingRight = "  "
		t.Style().Format.Header = text.FormatDefault
		return plainTable{safeTable{t}, w}
	}
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleRounded)
	t.Style().Format.Header = text.FormatDefault
	if st.color {
		t.Style().Color.Header = text.Colors{text.Bold}
	}
	return safeTable{t}
}

// tellColor hands our decision to go-pretty, which otherwise keeps the one it
// made from the process environment (NO_COLOR, FORCE_COLOR) when loaded.
func (st style) tellColor() {
	if st.color {
		text.EnableColors()
	} else {
		text.DisableColors()
	}
}

// time is a time as the audience reads it: on a terminal relative when
// within a week ("3 hours ago", "in 2 days"), else the local date and time
// with its zone; piped, RFC 3339 in UTC.
func (st style) time(t time.Time) string {
	if t.IsZero() {
		return invite.Dash
	}
	if !st.tty {
		return rfc3339(t)
	}
	return termfit.Time(t, st.now, st.loc)
}

func (st style) status(s invite.Status) styled {
	label := strings.ToUpper(string(s)) // PENDING, EXPIRED, ACCEPTED, REVOKED, PURGED
	if !st.color {
		return styled(label)
	}
	st.tellColor()
	c := map[invite.Status]text.Color{invite.StatusPending: text.FgGreen, invite.StatusExpired: text.FgYellow,
		invite.StatusAccepted: text.FgCyan, invite.StatusRevoked: text.FgRed, invite.StatusPurged: text.FgHiBlack}[s]
	return styled(c.Sprint(label))
}

func (st style) invitationRow(inv invite.Invitation, now time.Time) table.Row {
	row := table.Row{inv.ID, inv.Customer}
	for _, c := range termfit.NameCells(inv.Details) {
		row = append(row, c)
	}
	row = append(row, inv.Email, st.status(inv.Status(now)))
	for _, c := range termfit.DetailCells(inv.Details) {
		row = append(row, c)
	}
	return append(row, st.time(inv.CreatedAt), dash(inv.CreatedBy))
}

// csvRow is a JSON object as CSV cells: an absent value empty, true/false
// for the citizenships.
func csvRow(o object) []string {
	row := make([]string, len(o))
	for i, m := range o {
		switch v := m.value.(type) {
		case string:
			row[i] = v
		case *string:
			row[i] = cellText(v)
		case *bool:
			if v != nil {
				row[i] = strconv.FormatBool(*v)
			}
		default:
			row[i] = fmt.Sprint(v)
		}
	}
	return row
}

// cellText is an optional value as a cell: empty when absent.
func cellText[T any](p *T) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}

// writeCSV writes a header and rows, guarding against formula injection in
// spreadsheet programs.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := newCSVStream(w, header)
	for _, r := range rows {
		if err := cw.write(r); err != nil {
			return err
		}
	}
	return cw.flush()
}

// csvSafe guards a cell a spreadsheet would run as a formula (OWASP's list:
// a leading =, +, -, @, tab or carriage return) with a leading apostrophe.
// Only a plain number is left as it is (an E.164 phone is one): whatever
// follows a sign in any other value may be a formula.
func csvSafe(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) || plainNumber.MatchString(v) {
		return v
	}
	return "'" + v
}

var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// jsonArrayWriter writes {"KEY": [item, …], more…} an item at a time, laid
// out as writeJSON lays out the whole document.
type jsonArrayWriter struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int
}

func newJSONArrayWriter(w io.Writer, key string) *jsonArrayWriter {
	j := &jsonArrayWriter{w: w}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetIndent("    ", "  ")
	j.enc.SetEscapeHTML(false)
	_, _ = fmt.Fprintf(&j.buf, "{\n  %q: [", key)
	return j
}

// add writes one item of the array.
func (j *jsonArrayWriter) add(v any) error {
	if j.n > 0 {
		j.buf.WriteByte(',')
	}
	j.n++
	j.buf.WriteString("\n    ")
	if err := j.enc.Encode(v); err != nil {
		return err
	}
	j.buf.Truncate(j.buf.Len() - 1) // Encode's newline
	_, err := j.w.Write(j.buf.Bytes())
	j.buf.Reset()
	return err
}

// close ends the array and writes the other members, in key order.
func (j *jsonArrayWriter) close(more map[string]int) error {
	if j.n > 0 {
		j.buf.WriteString("\n  ")
	}
	j.buf.WriteByte(']')
	for _, k := range slices.Sorted(maps.Keys(more)) {
		fmt.Fprintf(&j.buf, ",\n  %q: %d", k, more[k])
	}
	j.buf.WriteString("\n}\n")
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

// csvStream writes a header and then rows one at a time, each guarded as
// writeCSV guards them.
type csvStream struct{ cw *csv.Writer }

func newCSVStream(w io.Writer, header []string) *csvStream {
	s := &csvStream{cw: csv.NewWriter(w)}
	_ = s.cw.Write(header) // an error stays in the writer for flush
	return s
}

func (s *csvStream) write(r []string) error {
	for i, v := range r {
		r[i] = csvSafe(v)
	}
	return s.cw.Write(r)
}

func (s *csvStream) flush() error {
	s.cw.Flush()
	return s.cw.Error()
}
