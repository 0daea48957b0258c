package jsonin

import (
	"encoding/json"
	"errors"
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
