package csvimport

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// isZip reports whether r starts as a ZIP archive does (an .xlsx is one),
// and rewinds it.
func isZip(r io.ReadSeeker) (bool, error) {
	head := make([]byte, 4)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	return bytes.Equal(head[:n], []byte("PK\x03\x04")), nil
}

// xlsxRows are the rows of a workbook's first sheet, each cell as the text
// it shows (its number format applied), read with excelize's row iterator.
type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	line int
}

func openXLSX(r io.Reader) (*xlsxRows, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("the file is a ZIP archive but not an xlsx workbook that can be read (%v); save it from the spreadsheet as .xlsx or as CSV", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, errors.New("the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("reading the sheet %q: %v", sheets[0], err)
	}
	return &xlsxRows{f: f, rows: rows}, nil
}

func (x *xlsxRows) next() ([]string, int, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, 0, err
		}
		return nil, 0, io.EOF
	}
	x.line++
	row, err := x.rows.Columns()
	return row, x.line, err
}

func (x *xlsxRows) tooMany(n, m int) string {
	return fmt.Sprintf("has values in %d columns but the header names %d; give every column a header", n, m)
}

func (x *xlsxRows) Close() error {
	_ = x.rows.Close()
	return x.f.Close()
}
