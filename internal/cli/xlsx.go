package cli

import (
	"archive/zip"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"github.com/invitectl/invitectl/internal/invite"
)

// xlsxSheet is the name of the one sheet of a list workbook.
const xlsxSheet = "Invitations"

// xlsxWriter writes invitations as a workbook with excelize's stream
// writer, so memory stays flat however many rows: one sheet, the CSV's
// columns, the header row bold and frozen, phone, personal number and LMA
// number as text cells, times as date-times in UTC, IDs and counts as
// numbers, citizenships as booleans.
type xlsxWriter struct {
	f              *excelize.File
	sw             *excelize.StreamWriter
	row            int
	text, datetime int // cell styles
}

// xlsxTextColumns are the columns whose values stay text even when they
// look like numbers (+46…, 19811218-****): the free-text fields.
var xlsxTextColumns = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range invite.Fields {
		m[f.Key()] = f.FreeText()
	}
	return m
}()

// xlsxTimeColumns are the columns that hold times.
var xlsxTimeColumns = map[string]bool{"sent_on": true, "expires_at": true, "last_sent_at": true, "accepted_at": true, "revoked_at": true}

func newXLSXWriter(header []string) (*xlsxWriter, error) {
	f := excelize.NewFile()
	x := &xlsxWriter{f: f, row: 1}
	fail := func(err error) (*xlsxWriter, error) {
		_ = f.Close()
		return nil, fmt.Errorf("writing the workbook: %w", err)
	}
	if err := f.SetSheetName("Sheet1", xlsxSheet); err != nil {
		return fail(err)
	}
	headStyle, err := f.NewStyle(&excelize.Style{
		Font:   &excelize.Font{Bold: true},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Border: []excelize.Border{{Type: "bottom", Color: "7F8FA6", Style: 1}},
	})
	if err != nil {
		return fail(err)
	}
	if x.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil { // "@": text
		return fail(err)
	}
	format := "yyyy-mm-dd hh:mm:ss"
	if x.datetime, err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
		return fail(err)
	}
	if x.sw, err = f.NewStreamWriter(xlsxSheet); err != nil {
		return fail(err)
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	for i, name := range header {
		width := 16.0
		switch {
		case xlsxTimeColumns[name]:
			width = 20
		case name == "email" || name == "customer":
			width = 28
		}
		if err := x.sw.SetColWidth(i+1, i+1, width); err != nil {
			return fail(err)
		}
	}
	cells := make([]any, len(header))
	for i, name := range header {
		cells[i] = excelize.Cell{StyleID: headStyle, Value: name}
	}
	if err := x.sw.SetRow("A1", cells); err != nil {
		return fail(err)
	}
	return x, nil
}

// write adds one invitation.
func (x *xlsxWriter) write(j invitationJSON) error {
	text := csvRow(j)
	cells := make([]any, len(j))
	for i, m := range j {
		v := text[i]
		switch value := m.value.(type) {
		case int, int64:
			cells[i] = value
		case *bool:
			if value != nil {
				cells[i] = *value
			}
		default:
			switch {
			case v == "":
			case xlsxTextColumns[m.key]:
				cells[i] = excelize.Cell{StyleID: x.text, Value: v}
			case xlsxTimeColumns[m.key]:
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return err
				}
				cells[i] = excelize.Cell{StyleID: x.datetime, Value: t.UTC()}
			default:
				cells[i] = v
			}
		}
	}
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, cells)
}

// close finishes the workbook and writes it to w.
func (x *xlsxWriter) close(w io.Writer) error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("writing the workbook: %w", err)
	}
	// excelize builds the archive in a buffer and then copies it to w; a
	// zip writer of its own on w streams the archive there instead, so the
	// sheet goes from its temporary file to w without being held in memory.
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	_, err := x.f.WriteTo(io.Discard)
	return err
}

// writeXLSX writes the invitations that rows adds as a workbook to w.
func writeXLSX(w io.Writer, rows func(add func(invitationJSON) error) error) error {
	x, err := newXLSXWriter(csvColumns)
	if err != nil {
		return err
	}
	if err := rows(x.write); err != nil {
		_ = x.f.Close()
		return err
	}
	return x.close(w)
}

// annotationXLSX marks a command that lists rows and so takes -o xlsx.
const annotationXLSX = "invitectl/xlsx"

// withXLSX marks cmd as taking -o xlsx.
func withXLSX(cmd *cobra.Command) *cobra.Command { return annotateAs(cmd, annotationXLSX, "true") }

// checkXLSX refuses -o xlsx on a command that lists no rows, and to a
// terminal, where a workbook's bytes mean nothing.
func checkXLSX(cmd *cobra.Command, outTTY bool) error {
	if cmd.Annotations[annotationXLSX] != "true" {
		return usageError("-o xlsx is for commands that list rows, such as `invitectl list`; use -o table, wide, json or csv here", "%s has no xlsx output", cmd.CommandPath())
	}
	if outTTY {
		return usageError("redirect it to a file: > invitations.xlsx", "-o xlsx writes a workbook, which a terminal cannot show")
	}
	return nil
}
