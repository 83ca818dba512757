package cli

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/personnummer"
	"github.com/invitectl/invitectl/internal/termfit"
)

// invitationJSON is the JSON shape of an invitation (CONTRACT.md).
type invitationJSON struct {
	ID        int64  `json:"id"`
	Customer  string `json:"customer"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Status    string `json:"status"`
	detailsJSON
	Language   string  `json:"language"`
	SentOn     string  `json:"sent_on"`
	SentBy     *string `json:"sent_by"`
	ExpiresAt  string  `json:"expires_at"`
	Version    int     `json:"version"`
	EmailsSent int     `json:"emails_sent"`
	LastSentAt *string `json:"last_sent_at"`
	Delivery   string  `json:"delivery"`
	AcceptedAt *string `json:"accepted_at"`
	RevokedAt  *string `json:"revoked_at"`
	Link       string  `json:"link,omitempty"`
}

// optionalTime is t in RFC 3339, nil when zero.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return optional(rfc3339(t))
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// detailsJSON are the optional invitee details, shared by invitations and
// users; absent values are null.
type detailsJSON struct {
	SwedishCitizen *bool   `json:"swedish_citizen"`
	EUCitizen      *bool   `json:"eu_eea_citizen"`
	PersonalNumber *string `json:"personal_number"`
	LMANumber      *string `json:"lma_number"`
	Phone          *string `json:"phone"`
	Gender         *string `json:"gender"`
}

// detailsOf converts details, masking the personal number unless reveal.
func detailsOf(d invite.Details, reveal bool) detailsJSON {
	pn := personnummer.Mask(d.PersonalNumber)
	if reveal {
		pn = d.PersonalNumber
	}
	return detailsJSON{
		SwedishCitizen: d.SwedishCitizen.Bool(), EUCitizen: d.EUCitizen.Bool(),
		PersonalNumber: optional(pn), LMANumber: optional(d.LMANumber), Phone: optional(d.Phone),
		Gender: optional(string(d.Gender)),
	}
}

// toJSON converts an invitation; the personal number is masked unless reveal.
func toJSON(inv invite.Invitation, now time.Time, reveal bool) invitationJSON {
	return invitationJSON{
		ID: inv.ID, Customer: inv.Customer, FirstName: inv.FirstName, LastName: inv.LastName,
		Email: inv.Email, Status: string(inv.Status(now)), detailsJSON: detailsOf(inv.Details, reveal),
		Language: inv.Language,
		SentOn:   rfc3339(inv.CreatedAt), SentBy: optional(inv.CreatedBy), ExpiresAt: rfc3339(inv.ExpiresAt),
		Version: inv.Version, EmailsSent: inv.SendCount, LastSentAt: optionalTime(inv.LastSentAt),
		Delivery:   string(cmp.Or(inv.Delivery, invite.DeliveryNone)),
		AcceptedAt: optionalTime(inv.AcceptedAt), RevokedAt: optionalTime(inv.RevokedAt),
	}
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
var csvColumns = []string{"id", "customer", "first_name", "last_name", "email", "status", "swedish_citizen",
	"eu_eea_citizen", "personal_number", "lma_number", "phone", "gender", "language", "sent_on", "sent_by", "expires_at",
	"version", "emails_sent", "last_sent_at", "delivery", "accepted_at", "revoked_at"}

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
	return table.Row{inv.ID, inv.Customer, inv.FirstName, inv.LastName, inv.Email, st.status(inv.Status(now)),
		inv.SwedishCitizen.Label(), inv.EUCitizen.Label(), dash(personnummer.Mask(inv.PersonalNumber)),
		dash(inv.LMANumber), dash(inv.Phone), dash(string(inv.Gender)), st.time(inv.CreatedAt), dash(inv.CreatedBy)}
}

func csvRow(j invitationJSON) []string {
	s := csvText
	return slices.Concat([]string{strconv.FormatInt(j.ID, 10), j.Customer, j.FirstName, j.LastName, j.Email, j.Status},
		csvDetails(j.detailsJSON),
		[]string{j.Language, j.SentOn, s(j.SentBy), j.ExpiresAt,
			strconv.Itoa(j.Version), strconv.Itoa(j.EmailsSent), s(j.LastSentAt), j.Delivery, s(j.AcceptedAt), s(j.RevokedAt)})
}

// csvDetails are the details of JSON as CSV cells: true/false or empty for
// the citizenships, empty for an absent value; invitations and users share
// them.
func csvDetails(d detailsJSON) []string {
	b := func(p *bool) string {
		if p == nil {
			return ""
		}
		return strconv.FormatBool(*p)
	}
	return []string{b(d.SwedishCitizen), b(d.EUCitizen), csvText(d.PersonalNumber), csvText(d.LMANumber), csvText(d.Phone), csvText(d.Gender)}
}

// csvText is an optional value as a CSV cell: empty when absent.
func csvText(p *string) string {
	if p == nil {
		return ""
	}
	return *p
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

// showingLine is the footer of a page: Showing X–Y of Z results.
func showingLine(page, perPage, n, total int) string {
	from := (page-1)*perPage + 1
	return fmt.Sprintf("Showing %d–%d of %d results", from, from+n-1, total)
}

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
	keys := make([]string, 0, len(more))
	for k := range more {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
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
