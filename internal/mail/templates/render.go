package templates

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The renderer is written here rather than taken from a Mustache library:
// the Go ones (cbroglie/mustache, hoisie/mustache) render a missing
// variable as "" (or fail on the first one without a typed error naming
// it), have no bound on output size or work, and support partials, lambdas
// and delimiter changes that a customer's template must not reach. The
// subset below is small enough to read in one sitting and to fuzz.
//
// Supported: {{name}}, {{a.b.c}}, {{.}}, {{#name}}…{{/name}},
// {{^name}}…{{/name}}, {{! comment }}, with spaces allowed inside the
// braces, and Mustache's "standalone" rule (a section or comment tag alone
// on its line takes the line with it, so text templates keep their shape).
// Refused at save time: {{{raw}}} and {{&raw}} (see errRawRefused),
// partials {{>x}}, delimiter changes {{=…=}}.

// Part is which field of a template is parsed: it decides escaping.
type Part string

const (
	PartSubject Part = "subject" // raw values; CR/LF refused after rendering (a header)
	PartHTML    Part = "html"    // every value HTML-escaped
	PartText    Part = "text"    // raw values
)

// Limits on templates and their rendering. They bound what one send can
// cost: a template's source, what it renders to, how deep it nests and how
// much work a render may do (nested lists multiply).
const (
	MaxSourceBytes = 256 << 10 // one part's source
	MaxOutputBytes = 512 << 10 // one part's rendered output
	MaxDepth       = 16        // sections inside sections
	MaxIterations  = 10_000    // list items rendered, over the whole render
	MaxSteps       = 1 << 20   // nodes evaluated, over the whole render
	MaxNameBytes   = 128       // one tag's variable name
)

// ErrVariableMissing matches every *MissingVariableError (the API's
// template_variable_missing).
var ErrVariableMissing = errors.New("template variable missing")

// MissingVariableError names a variable the template uses that the
// variables do not give. Sections are exempt: a missing section name is
// false, which is how a template says "optional".
type MissingVariableError struct {
	Part Part
	Name string // as written in the template: "user.name"
}

func (e *MissingVariableError) Error() string {
	return fmt.Sprintf("template variable %q is missing (used in the %s)", e.Name, e.Part)
}

// Is makes the error match ErrVariableMissing.
func (e *MissingVariableError) Is(target error) bool { return target == ErrVariableMissing }

// ErrRender matches every *RenderError.
var ErrRender = errors.New("template cannot be rendered")

// RenderError is a render refused for what the variables made of the
// template: too large, too much work, a line break in the subject, an
// object where text is needed.
type RenderError struct {
	Part   Part
	Reason string
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("the %s cannot be rendered: %s", e.Part, e.Reason)
}

// Is makes the error match ErrRender.
func (e *RenderError) Is(target error) bool { return target == ErrRender }

// SyntaxError is a template that does not parse, with where (1-based line
// and column in characters).
type SyntaxError struct {
	Part      Part
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s: line %d, column %d: %s", e.Part, e.Line, e.Col, e.Msg)
}

// errRawRefused is why triple braces are refused rather than escaped
// anyway: a raw value is how a variable (a customer's user's name, passed
// through the send API) becomes markup in the mail, and escaping {{{x}}}
// silently would show the template's author the opposite of what they
// wrote. Markup belongs in the template itself.
const errRawRefused = "{{{…}}} and {{&…}} (unescaped values) are not supported: every value is escaped in the HTML; put markup in the template itself"

type nodeKind uint8

const (
	nodeText nodeKind = iota
	nodeVar
	nodeSection
	nodeInverted
)

type node struct {
	kind     nodeKind
	text     string   // nodeText
	name     string   // as written: "user.name" or "."
	path     []string // name split on dots; nil for "."
	children []node
}

// Parsed is one parsed part, ready to render any number of times.
type Parsed struct {
	part Part
	root []node
}

// Part is the field the template was parsed as.
func (t *Parsed) Part() Part { return t.part }

// Parse parses src as the given part. Its errors are *SyntaxError.
func Parse(part Part, src string) (*Parsed, error) {
	p := parser{part: part, src: src}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Parsed{part: part, root: root}, nil
}

type parser struct {
	part Part
	src  string
}

func (p *parser) errAt(off int, format string, args ...any) *SyntaxError {
	off = min(off, len(p.src))
	before := p.src[:off]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return &SyntaxError{Part: p.part, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

type frame struct {
	n   node
	off int // where its opening tag starts, for "not closed"
}

func (p *parser) parse() ([]node, error) {
	src := p.src
	if len(src) > MaxSourceBytes {
		return nil, &SyntaxError{Part: p.part, Line: 1, Col: 1, Msg: fmt.Sprintf("the template is longer than %d KiB", MaxSourceBytes>>10)}
	}
	if !utf8.ValidString(src) {
		return nil, &SyntaxError{Part: p.part, Line: 1, Col: 1, Msg: "the template is not valid UTF-8"}
	}
	if i := strings.IndexAny(src, "\r\n\x00"); i >= 0 && p.part == PartSubject {
		return nil, p.errAt(i, "the subject must be one line")
	}
	stack := []frame{{}} // stack[0] holds the root
	emit := func(n node) {
		top := &stack[len(stack)-1].n
		top.children = append(top.children, n)
	}
	textStart, lastTagEnd := 0, 0
	for {
		rel := strings.Index(src[textStart:], "{{")
		if rel < 0 {
			break
		}
		start := textStart + rel
		if start+2 < len(src) && src[start+2] == '{' {
			return nil, p.errAt(start, errRawRefused)
		}
		closeRel := strings.Index(src[start+2:], "}}")
		if closeRel < 0 {
			return nil, p.errAt(start, "this {{ is never closed with }}")
		}
		end := start + 2 + closeRel + 2
		body := src[start+2 : end-2]
		sigil := byte(0)
		if body != "" && strings.IndexByte("#^/!>&={", body[0]) >= 0 {
			sigil = body[0]
			body = body[1:]
		}
		switch sigil {
		case '&', '{':
			return nil, p.errAt(start, errRawRefused)
		case '>':
			return nil, p.errAt(start, "partials ({{>name}}) are not supported")
		case '=':
			return nil, p.errAt(start, "changing the delimiters ({{=…=}}) is not supported")
		}
		var name string
		var path []string
		if sigil != '!' {
			var msg string
			name, path, msg = parseName(body)
			if msg != "" {
				return nil, p.errAt(start, "%s", msg)
			}
		}

		// A section, close or comment tag alone on its line takes the line
		// with it (Mustache's standalone rule).
		textEnd, next := start, end
		if sigil != 0 {
			if ls, ok := standaloneStart(src, lastTagEnd, start); ok {
				if after, ok := standaloneEnd(src, end); ok {
					textEnd, next = ls, after
				}
			}
		}
		if textEnd > textStart {
			emit(node{kind: nodeText, text: src[textStart:textEnd]})
		}
		textStart, lastTagEnd = next, end

		switch sigil {
		case '!':
		case 0:
			emit(node{kind: nodeVar, name: name, path: path})
		case '#', '^':
			if len(stack) > MaxDepth {
				return nil, p.errAt(start, "sections nest deeper than %d levels", MaxDepth)
			}
			kind := nodeSection
			if sigil == '^' {
				kind = nodeInverted
			}
			stack = append(stack, frame{n: node{kind: kind, name: name, path: path}, off: start})
		case '/':
			if len(stack) == 1 {
				return nil, p.errAt(start, "{{/%s}} closes a section that was never opened", name)
			}
			open := stack[len(stack)-1]
			if open.n.name != name {
				return nil, p.errAt(start, "{{/%s}} does not close the open section {{%s%s}}", name, sigilOf(open.n.kind), open.n.name)
			}
			stack = stack[:len(stack)-1]
			emit(open.n)
		}
	}
	if textStart < len(src) {
		emit(node{kind: nodeText, text: src[textStart:]})
	}
	if len(stack) > 1 {
		open := stack[len(stack)-1]
		return nil, p.errAt(open.off, "the section {{%s%s}} is never closed with {{/%s}}", sigilOf(open.n.kind), open.n.name, open.n.name)
	}
	return stack[0].n.children, nil
}

func sigilOf(k nodeKind) string {
	if k == nodeInverted {
		return "^"
	}
	return "#"
}

func blank(s string) bool { return strings.Trim(s, " \t\r") == "" }

// standaloneStart is where the line of a tag at start begins, if only
// blanks and no other tag stand before it on that line. It looks back no
// further than the previous tag, so parsing stays linear in the source
// (a long line of tags would otherwise be scanned once per tag).
func standaloneStart(src string, lastTagEnd, start int) (int, bool) {
	seg := src[lastTagEnd:start]
	ls := strings.LastIndexByte(seg, '\n') + 1
	if ls == 0 && lastTagEnd > 0 {
		return 0, false // the previous tag is on this line
	}
	return lastTagEnd + ls, blank(seg[ls:])
}

// standaloneEnd is where the text after a tag ending at end resumes, if
// only blanks follow it up to the end of its line: past that newline. It
// reads the blanks only, for the same reason.
func standaloneEnd(src string, end int) (int, bool) {
	i := end
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r') {
		i++
	}
	switch {
	case i == len(src):
		return i, true
	case src[i] == '\n':
		return i + 1, true
	}
	return 0, false
}

// parseName checks a tag's name: "." or dot-separated segments of letters,
// digits, '_' and '-'. It returns what is wrong in words ("" when fine).
func parseName(body string) (string, []string, string) {
	name := strings.Trim(body, " \t")
	switch {
	case name == "":
		return "", nil, "empty tag: write a variable name between the braces"
	case len(name) > MaxNameBytes:
		return "", nil, fmt.Sprintf("the variable name is longer than %d characters", MaxNameBytes)
	case name == ".":
		return name, nil, ""
	}
	path := strings.Split(name, ".")
	for _, seg := range path {
		if seg == "" {
			return "", nil, fmt.Sprintf("%q is not a variable name (a dot must join two names)", name)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return "", nil, fmt.Sprintf("%q is not a variable name (use letters, digits, _ and -, joined by dots)", name)
			}
		}
	}
	return name, path, ""
}

// Render renders the template with vars: JSON-decoded values
// (map[string]any, []any, string, float64, json.Number, bool, nil), as the
// send API's "variables" arrive. A variable present as null renders as "".
func (t *Parsed) Render(vars map[string]any) (string, error) {
	r := renderer{part: t.part, stack: []any{vars}}
	if err := r.nodes(t.root); err != nil {
		return "", err
	}
	out := r.out.String()
	if t.part == PartSubject && strings.ContainsAny(out, "\r\n\x00") {
		return "", &RenderError{Part: t.part, Reason: "a variable puts a line break into the subject"}
	}
	return out, nil
}

type renderer struct {
	part  Part
	stack []any // contexts, innermost last
	out   strings.Builder
	steps int
	iters int
}

func (r *renderer) fail(format string, args ...any) error {
	return &RenderError{Part: r.part, Reason: fmt.Sprintf(format, args...)}
}

func (r *renderer) write(s string) error {
	if r.out.Len()+len(s) > MaxOutputBytes {
		return r.fail("the result would be longer than %d KiB", MaxOutputBytes>>10)
	}
	r.out.WriteString(s)
	return nil
}

func (r *renderer) nodes(ns []node) error {
	for i := range ns {
		n := &ns[i]
		if r.steps++; r.steps > MaxSteps {
			return r.fail("it takes more than %d steps (nested lists too long)", MaxSteps)
		}
		switch n.kind {
		case nodeText:
			if err := r.write(n.text); err != nil {
				return err
			}
		case nodeVar:
			v, ok := r.lookup(n)
			if !ok {
				return &MissingVariableError{Part: r.part, Name: n.name}
			}
			s, ok := scalar(v)
			if !ok {
				return r.fail("%q is a list or an object; name one of its fields or use it as a section", n.name)
			}
			if r.part == PartHTML {
				s = html.EscapeString(s)
			}
			if err := r.write(s); err != nil {
				return err
			}
		case nodeSection:
			v, _ := r.lookup(n)
			if !truthy(v) {
				continue
			}
			items, isList := v.([]any)
			if !isList {
				items = []any{v}
			}
			for _, it := range items {
				if r.iters++; r.iters > MaxIterations {
					return r.fail("sections repeat more than %d times", MaxIterations)
				}
				r.stack = append(r.stack, it)
				err := r.nodes(n.children)
				r.stack = r.stack[:len(r.stack)-1]
				if err != nil {
					return err
				}
			}
		case nodeInverted:
			if v, _ := r.lookup(n); truthy(v) {
				continue
			}
			if err := r.nodes(n.children); err != nil {
				return err
			}
		}
	}
	return nil
}

// lookup resolves a name as Mustache does: the first segment in the
// innermost context that has it, the rest inside that value only.
func (r *renderer) lookup(n *node) (any, bool) {
	if n.path == nil {
		return r.stack[len(r.stack)-1], true
	}
	for i := len(r.stack) - 1; i >= 0; i-- {
		v, ok := field(r.stack[i], n.path[0])
		if !ok {
			continue
		}
		for _, seg := range n.path[1:] {
			if v, ok = field(v, seg); !ok {
				return nil, false
			}
		}
		return v, true
	}
	return nil, false
}

func field(ctx any, key string) (any, bool) {
	switch m := ctx.(type) {
	case map[string]any:
		v, ok := m[key]
		return v, ok
	case map[string]string:
		v, ok := m[key]
		return v, ok
	}
	return nil, false
}

// truthy: false, null, "", 0 and the empty list are false (as mustache.js
// and Handlebars have it); everything else, an empty object included, is true.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case int:
		return x != 0
	case int64:
		return x != 0
	case []any:
		return len(x) > 0
	}
	return true
}

// scalar is v as text; ok is false for lists and objects.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	case float64:
		// Whole numbers print without exponent or ".0" (JSON 1e21 stays as Go formats it).
		if x == math.Trunc(x) && math.Abs(x) < 1e21 {
			return strconv.FormatFloat(x, 'f', -1, 64), true
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

// Names is every variable and section name the template uses, as written,
// in order of first use (the console lists them to fill a preview). A name
// inside a section may be a field of the section's items.
func (t *Parsed) Names() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(ns []node)
	walk = func(ns []node) {
		for _, n := range ns {
			if n.kind != nodeText && n.name != "." && !seen[n.name] {
				seen[n.name] = true
				out = append(out, n.name)
			}
			walk(n.children)
		}
	}
	walk(t.root)
	return out
}
