package transcode

import (
	"errors"
	"fmt"
	"strings"
)

// template is a compiled google.api.http path template:
//
//	Template = "/" Segments [ Verb ] ;
//	Segments = Segment { "/" Segment } ;
//	Segment  = "*" | "**" | LITERAL | Variable ;
//	Variable = "{" FieldPath [ "=" Segments ] "}" ;
//	FieldPath = IDENT { "." IDENT } ;
//	Verb     = ":" LITERAL ;
//
// "**" may only be the last segment. A variable without "=" is "{x=*}".
type template struct {
	segs     []segment
	verb     string
	vars     []variable
	literals int // number of literal segments, for precedence
}

type segKind uint8

const (
	segLiteral segKind = iota
	segOne             // *
	segRest            // **
)

type segment struct {
	kind segKind
	lit  string
}

// variable binds the path segments [start, end) to a field path; end is -1
// when the variable ends with "**" and so takes every remaining segment.
type variable struct {
	path       string
	start, end int
}

// parseTemplate compiles a path template.
func parseTemplate(s string) (*template, error) {
	p := &tparser{src: s}
	t, err := p.template()
	if err != nil {
		return nil, fmt.Errorf("path template %q: %w", s, err)
	}
	return t, nil
}

type tparser struct {
	src string
	pos int
	t   template
}

func (p *tparser) template() (*template, error) {
	if !strings.HasPrefix(p.src, "/") {
		return nil, errors.New("must start with /")
	}
	p.pos = 1
	if err := p.segments(false); err != nil {
		return nil, err
	}
	if p.pos < len(p.src) && p.src[p.pos] == ':' {
		p.pos++
		p.t.verb = p.literal()
		if p.t.verb == "" {
			return nil, errors.New("empty verb")
		}
	}
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.src[p.pos], p.pos)
	}
	for i, s := range p.t.segs {
		if s.kind == segRest && i != len(p.t.segs)-1 {
			return nil, errors.New(`"**" must be the last segment`)
		}
	}
	return &p.t, nil
}

func (p *tparser) segments(inVar bool) error {
	for {
		if err := p.segment(inVar); err != nil {
			return err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != '/' {
			return nil
		}
		p.pos++
	}
}

func (p *tparser) segment(inVar bool) error {
	switch {
	case strings.HasPrefix(p.src[p.pos:], "**"):
		p.pos += 2
		p.t.segs = append(p.t.segs, segment{kind: segRest})
	case strings.HasPrefix(p.src[p.pos:], "*"):
		p.pos++
		p.t.segs = append(p.t.segs, segment{kind: segOne})
	case strings.HasPrefix(p.src[p.pos:], "{"):
		if inVar {
			return errors.New("nested variable")
		}
		return p.variable()
	default:
		lit := p.literal()
		if lit == "" {
			return fmt.Errorf("empty segment at offset %d", p.pos)
		}
		p.t.segs = append(p.t.segs, segment{kind: segLiteral, lit: lit})
		p.t.literals++
	}
	return nil
}

func (p *tparser) variable() error {
	p.pos++ // {
	end := strings.IndexAny(p.src[p.pos:], "=}")
	if end < 0 {
		return errors.New("unterminated variable")
	}
	path := p.src[p.pos : p.pos+end]
	for _, ident := range strings.Split(path, ".") {
		if !isIdent(ident) {
			return fmt.Errorf("bad field path %q", path)
		}
	}
	for _, v := range p.t.vars {
		if v.path == path {
			return fmt.Errorf("variable %q bound twice", path)
		}
	}
	p.pos += end
	v := variable{path: path, start: len(p.t.segs)}
	if p.src[p.pos] == '=' {
		p.pos++
		if err := p.segments(true); err != nil {
			return err
		}
	} else {
		p.t.segs = append(p.t.segs, segment{kind: segOne})
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '}' {
		return errors.New("unterminated variable")
	}
	p.pos++
	v.end = len(p.t.segs)
	if p.t.segs[v.end-1].kind == segRest {
		v.end = -1
	}
	p.t.vars = append(p.t.vars, v)
	return nil
}

// literal reads up to the next '/', ':', '{', '}', '=' or '*'.
func (p *tparser) literal() string {
	start := p.pos
	for p.pos < len(p.src) && !strings.ContainsRune("/:{}=*", rune(p.src[p.pos])) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// match matches an escaped URL path against t and returns the variables'
// values, percent-decoded (except for %2F inside multi-segment variables, as
// google.api.http specifies), in the order of t.vars.
func (t *template) match(path string) ([]string, bool) {
	if !strings.HasPrefix(path, "/") {
		return nil, false
	}
	parts := strings.Split(path[1:], "/")
	if t.verb != "" {
		last := parts[len(parts)-1]
		base, ok := strings.CutSuffix(last, ":"+t.verb)
		if !ok {
			return nil, false
		}
		parts[len(parts)-1] = base
	}
	n := len(t.segs)
	rest := n > 0 && t.segs[n-1].kind == segRest
	if rest && len(parts) < n-1 || !rest && len(parts) != n {
		return nil, false
	}
	for i, s := range t.segs {
		switch s.kind {
		case segLiteral:
			if parts[i] != s.lit {
				return nil, false
			}
		case segOne:
			if parts[i] == "" {
				return nil, false
			}
		}
	}
	values := make([]string, len(t.vars))
	for i, v := range t.vars {
		end := v.end
		if end < 0 {
			end = len(parts)
		}
		if end-v.start == 1 && t.segs[v.start].kind == segOne {
			values[i] = unescape(parts[v.start], false)
			continue
		}
		segs := make([]string, end-v.start)
		for j := range segs {
			segs[j] = unescape(parts[v.start+j], true)
		}
		values[i] = strings.Join(segs, "/")
	}
	return values, true
}

// unescape percent-decodes s, leaving %2F as it is when keepSlash is set. A
// malformed escape is kept literally.
func unescape(s string, keepSlash bool) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			c := unhex(s[i+1])<<4 | unhex(s[i+2])
			if !(keepSlash && c == '/') {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
