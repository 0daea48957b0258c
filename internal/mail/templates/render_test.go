package templates

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// vars decodes JSON as the send API does, so tests render what a customer sends.
func vars(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func render(t *testing.T, part Part, src string, v map[string]any) (string, error) {
	t.Helper()
	tpl, err := Parse(part, src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return tpl.Render(v)
}

func TestRender(t *testing.T) {
	t.Parallel()
	data := `{"name": "Jo <b>&amp;</b> \"Q\" 'S'", "n": 3, "zero": 0, "pi": 3.5, "big": 12345678901, "yes": true, "no": false,
		"empty": "", "none": null, "user": {"first": "Ada", "address": {"city": "Oslo"}},
		"items": [{"sku": "A1", "qty": 2}, {"sku": "B<2>", "qty": 1}], "tags": ["x", "y<z"], "nolist": [], "obj": {}}`
	for _, c := range []struct {
		name, part, src, want string
	}{
		{"plain text", "html", "<p>Hello</p>", "<p>Hello</p>"},
		{"escaped in html", "html", "<p>{{name}}</p>", "<p>Jo &lt;b&gt;&amp;amp;&lt;/b&gt; &#34;Q&#34; &#39;S&#39;</p>"},
		{"raw in text", "text", "Hi {{name}}", `Hi Jo <b>&amp;</b> "Q" 'S'`},
		{"raw in subject", "subject", "Hi {{ name }}!", `Hi Jo <b>&amp;</b> "Q" 'S'!`},
		{"numbers and booleans", "text", "{{n}} {{zero}} {{pi}} {{big}} {{yes}} {{no}}", "3 0 3.5 12345678901 true false"},
		{"null renders empty", "text", "[{{none}}]", "[]"},
		{"dotted", "text", "{{user.first}} in {{user.address.city}}", "Ada in Oslo"},
		{"section on object pushes it", "text", "{{#user}}{{first}} ({{name}}){{/user}}", `Ada (Jo <b>&amp;</b> "Q" 'S')`},
		{"section on true", "text", "{{#yes}}on{{/yes}}{{#no}}off{{/no}}", "on"},
		{"falsy values skip sections", "text", "{{#zero}}a{{/zero}}{{#empty}}b{{/empty}}{{#none}}c{{/none}}{{#nolist}}d{{/nolist}}{{#missing}}e{{/missing}}.", "."},
		{"empty object is truthy", "text", "{{#obj}}yes{{/obj}}", "yes"},
		{"list iterates with the item as context", "html", "{{#items}}<li>{{sku}} x{{qty}}</li>{{/items}}", "<li>A1 x2</li><li>B&lt;2&gt; x1</li>"},
		{"list of scalars with dot", "html", "{{#tags}}[{{.}}]{{/tags}}", "[x][y&lt;z]"},
		{"outer names inside a list", "text", "{{#items}}{{user.first}}:{{sku}} {{/items}}", "Ada:A1 Ada:B<2> "},
		{"inverted", "text", "{{^nolist}}none{{/nolist}}{{^items}}hidden{{/items}}{{^missing}}!{{/missing}}", "none!"},
		{"comment", "text", "a{{! anything {{ here }}b", "ab"},
		{"standalone tags take their line", "text", "Items:\n  {{#items}}\n- {{sku}}\n  {{/items}}\n{{! note }}\nEnd\n", "Items:\n- A1\n- B<2>\nEnd\n"},
		{"inline tags keep the line", "text", "a {{#yes}}b{{/yes}} c\n", "a b c\n"},
		{"crlf standalone", "text", "x\r\n{{#yes}}\r\ny\r\n{{/yes}}\r\n", "x\r\ny\r\n"},
		{"single braces are text", "html", "a { b } {c} }} x", "a { b } {c} }} x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := render(t, Part(c.part), c.src, vars(t, data))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestRenderMissingVariable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ src, vars, name string }{
		{"Hi {{name}}", `{}`, "name"},
		{"{{user.first}}", `{"user": {}}`, "user.first"},
		{"{{user.first}}", `{"user": "Ada"}`, "user.first"},
		{"{{#items}}{{sku}}{{/items}}", `{"items": [{"sku": 1}, {}]}`, "sku"},
		{"{{#user}}{{last}}{{/user}}", `{"user": {"first": "A"}}`, "last"},
	} {
		_, err := render(t, PartHTML, c.src, vars(t, c.vars))
		var me *MissingVariableError
		if !errors.As(err, &me) || me.Name != c.name || me.Part != PartHTML || !errors.Is(err, ErrVariableMissing) {
			t.Errorf("%q with %s: err = %v, want the missing variable %q", c.src, c.vars, err, c.name)
		}
	}
}

func TestRenderRefusals(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		part      Part
		src, vars string
		reason    string
	}{
		{PartSubject, "Hi {{name}}", `{"name": "x\r\nBcc: victim@example.com"}`, "line break"},
		{PartSubject, "Hi {{name}}", `{"name": "x\nY"}`, "line break"},
		{PartText, "{{user}}", `{"user": {"a": 1}}`, "list or an object"},
		{PartText, "{{items}}", `{"items": [1]}`, "list or an object"},
		{PartHTML, "{{big}}", `{"big": "` + strings.Repeat("x", MaxOutputBytes+1) + `"}`, "longer than 512 KiB"},
		{PartHTML, "{{#l}}" + strings.Repeat("y", 1000) + "{{/l}}", `{"l": [` + strings.TrimSuffix(strings.Repeat("1,", 600), ",") + `]}`, "longer than 512 KiB"},
		// Escaping counts: 100k '<' become 400 KiB of "&lt;", times two.
		{PartHTML, "{{v}}{{v}}", `{"v": "` + strings.Repeat("<", 100_000) + `"}`, "longer than 512 KiB"},
		{PartText, "{{#l}}{{#l}}{{#l}}{{/l}}{{/l}}{{/l}}", `{"l": [` + strings.TrimSuffix(strings.Repeat("1,", 100), ",") + `]}`, "repeat more than"},
	} {
		_, err := render(t, c.part, c.src, vars(t, c.vars))
		var re *RenderError
		if !errors.As(err, &re) || !strings.Contains(re.Reason, c.reason) || !errors.Is(err, ErrRender) {
			t.Errorf("%.40q: err = %v, want a RenderError saying %q", c.src, err, c.reason)
		}
	}
	// Work without output is bounded too: many empty sections inside a long list.
	src := "{{#l}}" + strings.Repeat("{{#no}}{{/no}}", 2000) + "{{/l}}"
	l := make([]any, 1000)
	for i := range l {
		l[i] = 1
	}
	if _, err := render(t, PartText, src, map[string]any{"l": l}); err == nil || !strings.Contains(err.Error(), "steps") {
		t.Errorf("empty sections in a long list: err = %v, want the step bound", err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("{{#a}}", MaxDepth+1) + strings.Repeat("{{/a}}", MaxDepth+1)
	for _, c := range []struct {
		part      Part
		src       string
		line, col int
		msg       string
	}{
		{PartHTML, "ok\n  {{name", 2, 3, "never closed"},
		{PartHTML, "{{{raw}}}", 1, 1, "not supported"},
		{PartHTML, "é {{& raw}}", 1, 3, "not supported"},
		{PartText, "{{> footer}}", 1, 1, "partials"},
		{PartText, "{{=<% %>=}}", 1, 1, "delimiters"},
		{PartText, "{{}}", 1, 1, "empty tag"},
		{PartText, "{{a..b}}", 1, 1, "not a variable name"},
		{PartText, "{{a b}}", 1, 1, "not a variable name"},
		{PartText, "{{#a}}\n{{/b}}", 2, 1, "does not close the open section {{#a}}"},
		{PartText, "x\n\n {{^a}}", 3, 2, "never closed with {{/a}}"},
		{PartText, "{{/a}}", 1, 1, "never opened"},
		{PartText, deep, 1, 6*MaxDepth + 1, "deeper than 16"},
		{PartSubject, "Hello\nBcc: x", 1, 6, "one line"},
		{PartText, "\xff", 1, 1, "UTF-8"},
		{PartText, strings.Repeat("x", MaxSourceBytes+1), 1, 1, "longer than 256 KiB"},
	} {
		_, err := Parse(c.part, c.src)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != c.line || se.Col != c.col || !strings.Contains(se.Msg, c.msg) || se.Part != c.part {
			t.Errorf("%.40q: err = %v, want line %d column %d %q", c.src, err, c.line, c.col, c.msg)
		}
	}
	// Exactly MaxDepth levels are fine.
	ok := strings.Repeat("{{#a}}", MaxDepth) + "{{.}}" + strings.Repeat("{{/a}}", MaxDepth)
	if _, err := Parse(PartText, ok); err != nil {
		t.Fatalf("%d levels: %v", MaxDepth, err)
	}
}

// FuzzTemplate: any template and any value parse or fail cleanly, never
// panic, stay within the output bound, keep the subject on one line, and a
// value's '<' never reaches the HTML unescaped. The last is checked by
// rendering twice, with the value and with a plain "x": both are non-empty
// strings, so the same sections render, and the HTML must hold as many '<'
// both times (those the template wrote).
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"<p>Hello {{name}}</p>",
		"{{#items}}<li>{{sku}}</li>{{/items}}{{^items}}none{{/items}}",
		"{{user.name}} {{#user}}{{name}}{{/user}} {{.}}",
		"{{! c }}\n{{#a}}\n{{a}}\n{{/a}}\n",
		"{{{raw}}} {{&raw}} {{>p}} {{=| |=}}",
		"{{#a}}{{#a}}{{#a}}{{a}}{{/a}}{{/a}}{{/a}}",
		"{{", "}}", "{{#", "{{/x}}", "{{ . }}",
	} {
		f.Add(s, "<script>alert(1)</script>")
	}
	f.Add("{{#items}}{{#items}}{{name}}{{/items}}{{/items}}", strings.Repeat("<", 300))
	f.Fuzz(func(t *testing.T, src, value string) {
		value = "x" + value
		data := func(v string) map[string]any {
			item := map[string]any{"name": v, "sku": v, "a": v}
			return map[string]any{
				"name": v, "a": v, "raw": v, "sku": v,
				"user":  map[string]any{"name": v, "first": v},
				"items": []any{item, item, v},
			}
		}
		for _, part := range []Part{PartHTML, PartText, PartSubject} {
			tpl, err := Parse(part, src)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Line < 1 || se.Col < 1 {
					t.Fatalf("%s: parse error %v is not a positioned SyntaxError", part, err)
				}
				continue
			}
			got, err := tpl.Render(data(value))
			if err != nil {
				if !errors.Is(err, ErrVariableMissing) && !errors.Is(err, ErrRender) {
					t.Fatalf("%s: untyped render error %v", part, err)
				}
				continue
			}
			if len(got) > MaxOutputBytes {
				t.Fatalf("%s: output %d bytes", part, len(got))
			}
			if part == PartSubject && strings.ContainsAny(got, "\r\n") {
				t.Fatalf("subject with a line break: %q", got)
			}
			if part == PartHTML {
				plain, err := tpl.Render(data("x"))
				if err != nil {
					continue // the plain value can fail only where the other would have (same shape, shorter)
				}
				if a, b := strings.Count(got, "<"), strings.Count(plain, "<"); a != b {
					t.Fatalf("html has %d '<' with the value and %d without: a value's '<' is unescaped\nsrc %q\nout %q", a, b, src, got)
				}
			}
		}
	})
}

func TestNames(t *testing.T) {
	t.Parallel()
	p, err := Parse(PartHTML, "{{a}} {{#items}}{{sku}}{{.}}{{a}}{{/items}}{{^none}}{{user.name}}{{/none}}{{! x }}")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Names(), ","); got != "a,items,sku,none,user.name" {
		t.Fatalf("Names() = %s", got)
	}
}

// BenchmarkParseAndRender is what a send does with a typical template:
// parse the three parts and render them.
func BenchmarkParseAndRender(b *testing.B) {
	html := strings.Repeat("<p>Hello {{user.name}}, your order {{order.id}} is on its way.</p>\n", 40) +
		"<ul>\n{{#items}}\n<li>{{sku}} x {{qty}}</li>\n{{/items}}\n</ul>\n{{^items}}No items.{{/items}}\n"
	v := vars(b, `{"user": {"name": "Jo <b>"}, "order": {"id": 42}, "items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderContent(Content{Subject: "Order {{order.id}}", HTML: html, Text: html}, v); err != nil {
			b.Fatal(err)
		}
	}
}
