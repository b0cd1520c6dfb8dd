package transcode

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader reads JSON as protojson's tokenizer does (RFC 8259, with its
// errors): the direct path (jsonwire.go) reads values of the kinds a field
// expects and lets the reader check the syntax around them.
type jsonReader struct {
	in  []byte
	pos int
	buf []byte // unescaped strings
}

// errUnexpectedEOF is protojson's error for input that ends early.
var errUnexpectedEOF = errors.New("unexpected EOF")

// value kinds, by a value's first byte
const (
	kindEOF = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindInvalid
)

func (r *jsonReader) skipSpace() {
	for r.pos < len(r.in) {
		switch r.in[r.pos] {
		case ' ', '\n', '\r', '\t':
			r.pos++
		default:
			return
		}
	}
}

// peek returns the kind of the next value, after any whitespace.
func (r *jsonReader) peek() int {
	r.skipSpace()
	if r.pos >= len(r.in) {
		return kindEOF
	}
	switch c := r.in[r.pos]; {
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	case c == '"':
		return kindString
	case c == '-' || c >= '0' && c <= '9':
		return kindNumber
	case c == 't':
		return kindTrue
	case c == 'f':
		return kindFalse
	case c == 'n':
		return kindNull
	}
	return kindInvalid
}

// position returns the line and column of offset i, as protojson counts
// them.
func (r *jsonReader) position(i int) (line, column int) {
	b := r.in[:min(i, len(r.in))]
	line = bytes.Count(b, []byte("\n")) + 1
	if j := bytes.LastIndexByte(b, '\n'); j >= 0 {
		b = b[j+1:]
	}
	return line, utf8.RuneCount(b) + 1
}

// errorAt is an error of meaning at offset i (protojson's newError).
func (r *jsonReader) errorAt(i int, format string, args ...any) error {
	line, col := r.position(i)
	return fmt.Errorf("(line %d:%d): %s", line, col, fmt.Sprintf(format, args...))
}

// syntaxErrorAt is a syntax error at offset i.
func (r *jsonReader) syntaxErrorAt(i int, format string, args ...any) error {
	line, col := r.position(i)
	return fmt.Errorf("syntax error (line %d:%d): %s", line, col, fmt.Sprintf(format, args...))
}

// unexpected is the error for a token that does not belong where it is; a
// token that does not parse gets the tokenizer's own error.
func (r *jsonReader) unexpected() error {
	r.skipSpace()
	start := r.pos
	raw, err := r.token()
	if err != nil {
		return err
	}
	if raw == "" {
		return errUnexpectedEOF
	}
	return r.syntaxErrorAt(start, "unexpected token %s", raw)
}

// token reads the next token and returns its text, "" at the end.
func (r *jsonReader) token() (string, error) {
	r.skipSpace()
	start := r.pos
	switch r.peek() {
	case kindEOF:
		return "", nil
	case kindString:
		if _, err := r.str(); err != nil {
			return "", err
		}
	case kindNumber:
		if _, err := r.number(); err != nil {
			return "", err
		}
	case kindTrue, kindFalse, kindNull:
		if err := r.literal(); err != nil {
			return "", err
		}
	case kindInvalid:
		switch r.in[r.pos] {
		case '}', ']', ',', ':':
			r.pos++
		default:
			return "", r.invalidValue()
		}
	default:
		r.pos++
	}
	return string(r.in[start:r.pos]), nil
}

// invalidValue is the tokenizer's error for bytes that start no token.
func (r *jsonReader) invalidValue() error {
	rest := r.in[r.pos:]
	n := 0
	for n < len(rest) && n < 32 && isNotDelim(rest[n]) {
		n++
	}
	if n == 0 {
		_, n = utf8.DecodeRune(rest)
		if n == 0 {
			n = 1
		}
	}
	return r.syntaxErrorAt(r.pos, "invalid value %s", rest[:n])
}

func isNotDelim(c byte) bool {
	return c == '-' || c == '+' || c == '.' || c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// literal reads true, false or null, which must end at a delimiter.
func (r *jsonReader) literal() error {
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(r.in[r.pos:], []byte(lit)) {
			if end := r.pos + len(lit); end == len(r.in) || !isNotDelim(r.in[end]) {
				r.pos = end
				return nil
			}
		}
	}
	return r.invalidValue()
}

// expect reads the next token, which must be c.
func (r *jsonReader) expect(c byte) error {
	r.skipSpace()
	if r.pos < len(r.in) && r.in[r.pos] == c {
		r.pos++
		return nil
	}
	return r.unexpected()
}

// member reads up to the next member's name of an object whose '{' has been
// read: the name and true, or false at the closing '}'. first says no
// member has been read yet. raw is the name's JSON text and namePos where it
// starts.
func (r *jsonReader) member(first bool) (name, raw []byte, namePos int, ok bool, err error) {
	r.skipSpace()
	if r.pos >= len(r.in) {
		return nil, nil, 0, false, errUnexpectedEOF
	}
	c := r.in[r.pos]
	if c == '}' {
		r.pos++
		return nil, nil, 0, false, nil
	}
	if !first {
		if c != ',' {
			return nil, nil, 0, false, r.unexpected()
		}
		r.pos++
		r.skipSpace()
		if r.pos >= len(r.in) {
			return nil, nil, 0, false, errUnexpectedEOF
		}
		c = r.in[r.pos]
	}
	if c != '"' {
		return nil, nil, 0, false, r.unexpected()
	}
	namePos = r.pos
	if name, err = r.str(); err != nil {
		return nil, nil, 0, false, err
	}
	raw = r.in[namePos:r.pos]
	r.skipSpace()
	if r.pos >= len(r.in) {
		return nil, nil, 0, false, errUnexpectedEOF
	}
	if c := r.in[r.pos]; c != ':' {
		return nil, nil, 0, false, r.syntaxErrorAt(r.pos, `unexpected character %s, missing ":" after field name`, string(c))
	}
	r.pos++
	return name, raw, namePos, true, nil
}

// element reads up to the next element of an array whose '[' has been read:
// true before an element, false at the closing ']'. first says no element
// has been read yet.
func (r *jsonReader) element(first bool) (bool, error) {
	r.skipSpace()
	if r.pos >= len(r.in) {
		return false, errUnexpectedEOF
	}
	if r.in[r.pos] == ']' {
		r.pos++
		return false, nil
	}
	if first {
		return true, nil
	}
	if r.in[r.pos] != ',' {
		return false, r.unexpected()
	}
	r.pos++
	r.skipSpace()
	if r.pos >= len(r.in) {
		return false, errUnexpectedEOF
	}
	if r.in[r.pos] == ']' {
		return false, r.unexpected()
	}
	return true, nil
}

// str reads a string and returns its value: a slice of the input when it
// has no escapes, else of r.buf (valid until the next str).
func (r *jsonReader) str() ([]byte, error) {
	start := r.pos
	r.pos++ // '"'
	i := r.pos
	for i < len(r.in) {
		c := r.in[i]
		if c == '"' {
			r.pos = i + 1
			return r.in[start+1 : i], nil
		}
		if c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	out := append(r.buf[:0], r.in[start+1:i]...)
	in := r.in[i:]
	for len(in) > 0 {
		switch c, n := utf8.DecodeRune(in); {
		case c == utf8.RuneError && n == 1:
			r.pos = len(r.in) - len(in)
			return nil, r.syntaxErrorAt(r.pos, "invalid UTF-8 in string")
		case c < ' ':
			r.pos = len(r.in) - len(in)
			return nil, r.syntaxErrorAt(r.pos, "invalid character %q in string", c)
		case c == '"':
			r.pos = len(r.in) - len(in) + 1
			r.buf = out
			return out, nil
		case c == '\\':
			if len(in) < 2 {
				return nil, errUnexpectedEOF
			}
			switch e := in[1]; e {
			case '"', '\\', '/':
				in, out = in[2:], append(out, e)
			case 'b':
				in, out = in[2:], append(out, '\b')
			case 'f':
				in, out = in[2:], append(out, '\f')
			case 'n':
				in, out = in[2:], append(out, '\n')
			case 'r':
				in, out = in[2:], append(out, '\r')
			case 't':
				in, out = in[2:], append(out, '\t')
			case 'u':
				if len(in) < 6 {
					return nil, errUnexpectedEOF
				}
				v, err := strconv.ParseUint(string(in[2:6]), 16, 16)
				if err != nil {
					r.pos = len(r.in) - len(in)
					return nil, r.syntaxErrorAt(r.pos, "invalid escape code %q in string", in[:6])
				}
				in = in[6:]
				u := rune(v)
				if utf16.IsSurrogate(u) {
					if len(in) < 6 {
						return nil, errUnexpectedEOF
					}
					v, err := strconv.ParseUint(string(in[2:6]), 16, 16)
					u = utf16.DecodeRune(u, rune(v))
					if in[0] != '\\' || in[1] != 'u' || u == utf8.RuneError || err != nil {
						r.pos = len(r.in) - len(in)
						return nil, r.syntaxErrorAt(r.pos, "invalid escape code %q in string", in[:6])
					}
					in = in[6:]
				}
				out = utf8.AppendRune(out, u)
			default:
				r.pos = len(r.in) - len(in)
				return nil, r.syntaxErrorAt(r.pos, "invalid escape code %q in string", in[:2])
			}
		default:
			in, out = in[n:], append(out, in[:n]...)
		}
	}
	return nil, errUnexpectedEOF
}

// number reads a number and returns its text; like protojson's it must end
// at a delimiter.
func (r *jsonReader) number() ([]byte, error) {
	n, ok := scanNumber(r.in[r.pos:])
	if !ok {
		return nil, r.invalidValue()
	}
	start := r.pos
	r.pos += n
	return r.in[start:r.pos], nil
}

// scanNumber returns the length of the JSON number at the start of in, and
// false when there is none or it does not end at a delimiter.
func scanNumber(in []byte) (int, bool) {
	s := in
	n := 0
	if len(s) > 0 && s[0] == '-' {
		s, n = s[1:], n+1
	}
	switch {
	case len(s) == 0:
		return 0, false
	case s[0] == '0':
		s, n = s[1:], n+1
	case '1' <= s[0] && s[0] <= '9':
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s, n = s[1:], n+1
		}
	default:
		return 0, false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s, n = s[2:], n+2
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s, n = s[1:], n+1
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s, n = s[1:], n+1
		if s[0] == '+' || s[0] == '-' {
			s, n = s[1:], n+1
			if len(s) == 0 {
				return 0, false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s, n = s[1:], n+1
		}
	}
	if n < len(in) && isNotDelim(in[n]) {
		return 0, false
	}
	return n, true
}

// intText returns the integer a JSON number's text denotes, in decimal
// without exponent, and false when it is not a whole number (protojson
// accepts 1.0 and 1e2 for integers, not 1.5).
func intText(num []byte, scratch []byte) ([]byte, bool) {
	neg := false
	if num[0] == '-' {
		neg, num = true, num[1:]
	}
	var intp, frac, exp []byte
	i := 0
	if num[0] == '0' {
		i = 1
	} else {
		for i < len(num) && '0' <= num[i] && num[i] <= '9' {
			i++
		}
		intp = num[:i]
	}
	if i < len(num) && num[i] == '.' {
		j := i + 1
		for j < len(num) && '0' <= num[j] && num[j] <= '9' {
			j++
		}
		frac = bytes.TrimRight(num[i+1:j], "0")
		i = j
	}
	if i < len(num) && (num[i] == 'e' || num[i] == 'E') {
		exp = num[i+1:]
	}
	if len(intp) == 0 && len(frac) == 0 {
		return append(scratch[:0], '0'), true
	}
	e := 0
	if len(exp) > 0 {
		v, err := strconv.ParseInt(string(exp), 10, 32)
		if err != nil {
			return nil, false
		}
		e = int(v)
	}
	out := scratch[:0]
	if neg {
		out = append(out, '-')
	}
	if e >= 0 {
		if len(frac) > e || len(intp)+e > 20 {
			return nil, false
		}
		out = append(out, intp...)
		out = append(out, frac...)
		for range e - len(frac) {
			out = append(out, '0')
		}
		return out, true
	}
	if len(frac) > 0 {
		return nil, false
	}
	at := len(intp) + e
	if at < 0 {
		return nil, false
	}
	for _, c := range intp[at:] {
		if c != '0' {
			return nil, false
		}
	}
	return append(out, intp[:at]...), true
}

// skip reads one value of any kind, checking its syntax; depth bounds the
// nesting as protojson's recursion limit does.
func (r *jsonReader) skip(depth int) error {
	switch r.peek() {
	case kindObject:
		if depth <= 0 {
			return errors.New("exceeded max recursion depth")
		}
		r.pos++
		for first := true; ; first = false {
			_, _, _, ok, err := r.member(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := r.skip(depth - 1); err != nil {
				return err
			}
		}
	case kindArray:
		if depth <= 0 {
			return errors.New("exceeded max recursion depth")
		}
		r.pos++
		for first := true; ; first = false {
			more, err := r.element(first)
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			if err := r.skip(depth - 1); err != nil {
				return err
			}
		}
	case kindString:
		_, err := r.str()
		return err
	case kindNumber:
		_, err := r.number()
		return err
	case kindTrue, kindFalse, kindNull:
		return r.literal()
	}
	return r.unexpected()
}
