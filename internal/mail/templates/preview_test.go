package templates

import (
	"errors"
	"strings"
	"testing"
)

func TestPreviewHelpers(t *testing.T) {
	t.Parallel()
	if v, msg := PreviewVariables(" "); msg != "" || len(v) != 0 {
		t.Errorf("empty: %v %q", v, msg)
	}
	if v, msg := PreviewVariables(`{"name":"Ada"}`); msg != "" || v["name"] != "Ada" {
		t.Errorf("object: %v %q", v, msg)
	}
	for _, bad := range []string{"[1]", "null", "{", strings.Repeat(" ", MaxPreviewVariables) + "{}"} {
		if _, msg := PreviewVariables(bad); msg == "" {
			t.Errorf("PreviewVariables(%.20q) took it", bad)
		}
	}
	if id, err := ParseID("tpl_abc"); err != nil || id != "tpl_abc" {
		t.Errorf("ParseID: %q %v", id, err)
	}
	for _, bad := range []string{"welcome", "", "tpl_" + strings.Repeat("a", 100)} {
		if _, err := ParseID(bad); !errors.Is(err, ErrTemplateNotFound) {
			t.Errorf("ParseID(%.20q) = %v", bad, err)
		}
	}
	if got := Explain(&MissingVariableError{Name: "name", Part: "subject"}); !strings.Contains(got, `"name" is missing`) {
		t.Errorf("Explain(missing) = %q", got)
	}
	if got := Explain(errors.New("database down")); got != "" {
		t.Errorf("Explain(other) = %q", got)
	}
}
