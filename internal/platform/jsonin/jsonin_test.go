package jsonin

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestDecode(t *testing.T) {
	type body struct {
		Plan   string   `json:"plan"`
		Months int      `json:"months"`
		IPs    []string `json:"ips"`
		Nested struct {
			On bool `json:"on"`
		} `json:"nested"`
	}
	for _, c := range []struct {
		in, field, msg string
		nul            bool
	}{
		{`{"plan":"small","months":2}`, "", "", false},
		{`{"plan":"small"}}}x`, "", "The request body must hold exactly one JSON value; something follows it.", false},
		{`{} {}`, "", "The request body must hold exactly one JSON value; something follows it.", false},
		{`{"plan":"small"} x`, "", "The request body must hold exactly one JSON value; something follows it.", false},
		{`{"months":"two"}`, "months", "months must be an integer.", false},
		{`{"plan":5}`, "plan", "plan must be a string.", false},
		{`{"ips":"1.2.3.4"}`, "ips", "ips must be an array of strings.", false},
		{`{"nested":{"on":"yes"}}`, "nested.on", "nested.on must be true or false.", false},
		{`[]`, "", "The request body must be a JSON object.", false},
		{`{"plan":`, "", "The request body is not valid JSON.", false},
		{``, "", "The request body is empty; send a JSON object.", false},
		{`{"plan":"a\u0000b"}`, "plan", "plan must not contain NUL characters.", true},
		{`{"ips":["ok","a\u0000"]}`, "ips[1]", "ips[1] must not contain NUL characters.", true},
		{"{\"plan\":\"a\x00b\"}", "", "The request body must be UTF-8 text without NUL characters.", true},
		{"{\"plan\":\"\xff\xfe\"}", "", "The request body must be UTF-8 text without NUL characters.", true},
		{`{"plan":"a\\u0000b"}`, "", "", false}, // an escaped backslash, not NUL
	} {
		var b body
		err := Decode([]byte(c.in), &b)
		if c.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Msg != c.msg || e.Field != c.field || IsNUL(err) != c.nul {
			t.Errorf("%q: got %#v, want field %q msg %q nul %v", c.in, err, c.field, c.msg, c.nul)
		}
	}
	var n json.Number
	if err := Decode([]byte(`12`), &n); err != nil || n != "12" {
		t.Errorf("number: %v %v", n, err)
	}
}

// TestDecodeKeepsNumbersOfInterfaces holds the fast path (json.Unmarshal)
// to the targets where it decodes as the Decoder with UseNumber does.
func TestDecodeKeepsNumbersOfInterfaces(t *testing.T) {
	var m map[string]any
	if err := Decode([]byte(`{"n":12345678901234567890}`), &m); err != nil {
		t.Fatal(err)
	}
	if n, ok := m["n"].(json.Number); !ok || n != "12345678901234567890" {
		t.Errorf("n = %#v, want json.Number", m["n"])
	}
	var raw map[string]json.RawMessage
	if err := Decode([]byte(` {"a": [1, 2], "b": "x"} `), &raw); err != nil || string(raw["a"]) != "[1, 2]" || string(raw["b"]) != `"x"` {
		t.Errorf("raw = %q, %v", raw, err)
	}
	type node struct {
		Next *node             `json:"next"`
		Tags map[string]string `json:"tags"`
	}
	type withAny struct {
		Items []struct {
			Extra any `json:"extra"`
		} `json:"items"`
	}
	for _, c := range []struct {
		v    any
		want bool
	}{
		{&raw, true}, {&m, false}, {new(node), true}, {new(withAny), false}, {new(json.Number), true},
		{new(any), false}, {raw, false}, {nil, false},
	} {
		if got := plain(reflect.TypeOf(c.v)); got != c.want {
			t.Errorf("plain(%T) = %v, want %v", c.v, got, c.want)
		}
	}
}

// BenchmarkDecodeCheckBody is the loader check's body, the API request
// made most often (luarmor.readBody).
func BenchmarkDecodeCheckBody(b *testing.B) {
	body := []byte(`{"script_key":"KEY-0123456789abcdefghijklmnopqrstuv","hwid":"HWID-0123456789abcdef0123456789abcdef"}`)
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]json.RawMessage
		if err := Decode(body, &m); err != nil || len(m) != 2 {
			b.Fatal(m, err)
		}
	}
}
