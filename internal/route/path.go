package route

import (
	"path"
	"strings"
	"unicode/utf8"
)

// MaxPathBytes is the longest request path Clean accepts.
const MaxPathBytes = 4096

// Clean returns the canonical form of a request path: percent-escapes decoded
// once, "." and ".." resolved (never above the root), repeated slashes
// collapsed, no trailing slash. It refuses, with ErrBadPath, what a backend
// could read differently from the gateway: escaped '/', '\', '%', '?', '#' or
// ';', a ';' or '\' in the path, control characters (escaped or not),
// malformed escapes, invalid UTF-8, and paths longer than MaxPathBytes. An
// empty path is "/".
func Clean(p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	if p[0] != '/' || len(p) > MaxPathBytes {
		return "", ErrBadPath
	}
	needDecode := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f, c == '\\', c == ';', c == '?', c == '#':
			return "", ErrBadPath
		case c == '%':
			needDecode = true
		}
	}
	if needDecode {
		var b strings.Builder
		b.Grow(len(p))
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c != '%' {
				b.WriteByte(c)
				continue
			}
			if i+2 >= len(p) {
				return "", ErrBadPath
			}
			hi, ok1 := unhex(p[i+1])
			lo, ok2 := unhex(p[i+2])
			if !ok1 || !ok2 {
				return "", ErrBadPath
			}
			d := hi<<4 | lo
			switch {
			case d < 0x20 || d == 0x7f, d == '/', d == '\\', d == '%', d == ';', d == '?', d == '#':
				return "", ErrBadPath
			}
			b.WriteByte(d)
			i += 2
		}
		p = b.String()
	}
	if !utf8.ValidString(p) {
		return "", ErrBadPath
	}
	if isClean(p) {
		return p, nil
	}
	return path.Clean(p), nil
}

// isClean reports whether path.Clean would return p unchanged, without
// allocating, for the common case.
func isClean(p string) bool {
	if p == "/" {
		return true
	}
	if p[len(p)-1] == '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		// p[i] is a separator: the next segment must be non-empty, not "." or "..".
		j := i + 1
		if j == len(p) || p[j] == '/' {
			return false
		}
		if p[j] == '.' && (j+1 == len(p) || p[j+1] == '/' || p[j+1] == '.' && (j+2 == len(p) || p[j+2] == '/')) {
			return false
		}
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
