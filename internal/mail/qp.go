package mail

// appendQuotedPrintable appends p to dst encoded exactly as
// mime/quotedprintable's Writer encodes text (Binary false): line breaks
// become CRLF, lines stay within 76 characters by soft breaks, and a space
// or tab before a line break is encoded. That Writer goes byte by byte
// through an interface and a line buffer, which cost a third of writing a
// message; this does the same work in one loop.
func appendQuotedPrintable(dst, p []byte) []byte {
	e := qpEncoder{dst: dst}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case qpPlain[c]:
			// A run of bytes written as they are, a line's room at a time.
			j := i + 1
			for j < len(p) && qpPlain[p[j]] {
				j++
			}
			e.plain(p[i:j])
			i = j
			continue
		case c == '\n', c == '\r':
			e.lineBreak(c)
		default:
			e.encode(c)
		}
		i++
	}
	e.checkLastByte()
	return e.dst
}

// qpPlain marks the bytes written as they are: printable ASCII but '=',
// and spaces and tabs (encoded later if they end a line).
var qpPlain = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = c != '='
	}
	t[' '], t['\t'] = true, true
	return t
}()

// lineMaxLen is the longest encoded line, as in mime/quotedprintable.
const lineMaxLen = 76

// qpEncoder mirrors mime/quotedprintable.Writer's state: n is the length of
// the current line, and cr that the last line break came from a '\r' (so a
// '\n' right after it adds none).
type qpEncoder struct {
	dst []byte
	n   int
	cr  bool
}

// plain writes bytes of qpPlain, breaking lines one short of the maximum to
// leave room for the soft break's '='.
func (e *qpEncoder) plain(run []byte) {
	for len(run) > 0 {
		if e.n == lineMaxLen-1 {
			e.softBreak()
		}
		k := min(len(run), lineMaxLen-1-e.n)
		e.dst = append(e.dst, run[:k]...)
		e.n += k
		run = run[k:]
	}
	e.cr = false
}

// lineBreak writes CRLF for '\n', '\r' or "\r\n".
func (e *qpEncoder) lineBreak(c byte) {
	if e.cr && c == '\n' {
		e.cr = false
		return
	}
	e.cr = c == '\r'
	e.checkLastByte()
	e.crlf()
}

// encode writes c as =XX. Like the standard Writer it leaves cr alone.
func (e *qpEncoder) encode(c byte) {
	if lineMaxLen-1-e.n < 3 {
		e.softBreak()
	}
	const upperhex = "0123456789ABCDEF"
	e.dst = append(e.dst, '=', upperhex[c>>4], upperhex[c&0x0f])
	e.n += 3
}

// checkLastByte encodes a space or tab that would otherwise end a line.
func (e *qpEncoder) checkLastByte() {
	if e.n == 0 {
		return
	}
	if c := e.dst[len(e.dst)-1]; c == ' ' || c == '\t' {
		e.dst = e.dst[:len(e.dst)-1]
		e.n--
		e.encode(c)
	}
}

func (e *qpEncoder) softBreak() {
	e.dst = append(e.dst, '=')
	e.crlf()
}

func (e *qpEncoder) crlf() {
	e.dst = append(e.dst, '\r', '\n')
	e.n = 0
}
