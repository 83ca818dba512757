package csvimport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings are the values of Options.Encoding besides "" (auto).
var Encodings = []string{"auto", "utf-8", "utf-16", "windows-1252"}

// EncodingError is a file that cannot be read as text in its encoding: one
// problem naming the encoding and the line where it starts.
type EncodingError struct {
	Line    int
	Message string
}

func (e *EncodingError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

const howUTF8 = `save it as "CSV UTF-8" (or "Unicode text"), or name its encoding with --encoding`

// decode returns the text of r as UTF-8 and the encoding it was read in.
// enc is auto ("" too), utf-8, utf-16 or windows-1252. Auto takes a byte
// order mark (UTF-8, UTF-16 LE or BE), else UTF-8 when every byte sequence
// of the file is UTF-8, else Windows-1252 (notice says so). A NUL byte with
// no byte order mark (UTF-16 without one) is an EncodingError; so is text
// that does not decode in the encoding chosen, when it is read.
func decode(r io.ReadSeeker, enc string) (text io.Reader, used, notice string, err error) {
	head := make([]byte, 3)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, "", "", err
	}
	head = head[:n]
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, "", "", err
	}
	bom := ""
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		bom = "utf-8"
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		bom = "utf-16"
	}
	var fallback encoding.Encoding
	switch enc {
	case "", "auto":
		switch bom {
		case "utf-16":
			used, fallback = "UTF-16", unicode.UTF8
		case "utf-8":
			used, fallback = "UTF-8", unicode.UTF8
		default:
			line, bad, err := scanUTF8(r)
			if err != nil {
				return nil, "", "", err
			}
			if _, err := r.Seek(0, io.SeekStart); err != nil {
				return nil, "", "", err
			}
			if bad == 0 {
				used, fallback = "UTF-8", unicode.UTF8
				break
			}
			if bad < 0 {
				return nil, "", "", &EncodingError{Line: line, Message: "the file has NUL bytes but no byte order mark, as UTF-16 text without one has; " + howUTF8}
			}
			used, fallback = "Windows-1252", charmap.Windows1252
			notice = fmt.Sprintf("the file is not UTF-8 (line %d has the byte 0x%02X), so it is read as Windows-1252; if the names look wrong, save it as \"CSV UTF-8\" or choose another --encoding", line, bad)
		}
	case "utf-8":
		if bom == "utf-16" {
			return nil, "", "", &EncodingError{Line: 1, Message: "--encoding utf-8 is given but the file starts with a UTF-16 byte order mark; use --encoding utf-16 (or auto)"}
		}
		used, fallback = "UTF-8", unicode.UTF8
	case "utf-16":
		if bom != "utf-16" {
			return nil, "", "", &EncodingError{Line: 1, Message: "--encoding utf-16 needs a byte order mark (FF FE or FE FF) at the start of the file, and this file has none; " + howUTF8}
		}
		used, fallback = "UTF-16", unicode.UTF8
	case "windows-1252":
		used = "Windows-1252"
		text = transform.NewReader(r, charmap.Windows1252.NewDecoder())
		return &checked{r: bufio.NewReader(text), enc: used, line: 1}, used, "", nil
	default:
		return nil, "", "", fmt.Errorf("unknown encoding %q (use auto, utf-8, utf-16 or windows-1252)", enc)
	}
	// The byte order mark, where there is one, decides; it is removed.
	text = transform.NewReader(r, unicode.BOMOverride(fallback.NewDecoder()))
	return &checked{r: bufio.NewReader(text), enc: used, line: 1}, used, notice, nil
}

// scanUTF8 reads r to its end and returns the line and first byte of the
// first sequence that is not UTF-8 (bad > 0), or of the first NUL byte
// (bad < 0), or bad 0 when every byte is UTF-8 text.
func scanUTF8(r io.Reader) (line, bad int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	line = 1
	for {
		c, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return line, 0, nil
		}
		if err != nil {
			return 0, 0, err
		}
		switch {
		case c == '\n':
			line++
			continue
		case c == 0:
			return line, -1, nil
		case c < utf8.RuneSelf:
			continue
		}
		_ = br.UnreadByte()
		peek, _ := br.Peek(utf8.UTFMax)
		rn, size := utf8.DecodeRune(peek)
		if rn == utf8.RuneError && size <= 1 {
			return line, int(c), nil
		}
		_, _ = br.Discard(size)
	}
}

// checked passes decoded text through, failing with an EncodingError at a
// NUL character or a U+FFFD, which the decoders put where the bytes are not
// text in the encoding.
type checked struct {
	r    *bufio.Reader
	enc  string
	line int
	pend []byte // the rest of a character that did not fit
	err  error
}

func (c *checked) Read(p []byte) (int, error) {
	n := copy(p, c.pend)
	c.pend = c.pend[n:]
	for n < len(p) && c.err == nil {
		r, _, err := c.r.ReadRune()
		if err != nil {
			c.err = err
			break
		}
		switch r {
		case '\n':
			c.line++
		case 0:
			c.err = &EncodingError{Line: c.line, Message: fmt.Sprintf("the file has a NUL byte, which %s text does not have; %s", c.enc, howUTF8)}
		case utf8.RuneError:
			c.err = &EncodingError{Line: c.line, Message: fmt.Sprintf("the file is not valid %s text here (or holds U+FFFD, the mark of an earlier failed conversion); %s", c.enc, howUTF8)}
		}
		if c.err != nil {
			break
		}
		var buf [utf8.UTFMax]byte
		size := utf8.EncodeRune(buf[:], r)
		k := copy(p[n:], buf[:size])
		n += k
		c.pend = append(c.pend, buf[k:size]...)
	}
	if n > 0 {
		return n, nil
	}
	return 0, c.err
}
