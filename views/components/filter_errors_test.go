package components

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestFilterErrors(t *testing.T) {
	t.Parallel()
	render := func(msgs []string, searched bool) string {
		var b bytes.Buffer
		if err := FilterErrors(msgs, searched).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got := render(nil, true); got != "" {
		t.Errorf("no messages rendered %q", got)
	}
	msgs := SortedMessages(map[string]string{"to": "Give a date.", "from": "Give a <date>."})
	applied := render(msgs, true)
	if !strings.Contains(applied, `data-testid="filter-errors"`) || !strings.Contains(applied, "were not applied") ||
		strings.Index(applied, "Give a &lt;date&gt;.") > strings.Index(applied, "Give a date.") {
		t.Errorf("applied: %s", applied)
	}
	if none := render(msgs, false); !strings.Contains(none, "nothing was searched") || !strings.Contains(none, `role="alert"`) {
		t.Errorf("not searched: %s", none)
	}
}
