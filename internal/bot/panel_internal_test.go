package bot

import (
	"strings"
	"testing"

	"lumdesk/internal/licensing"
)

// The panel offers Reset HWID, in words and as a button, only when the
// project lets users reset; its sentence reads either way.
func TestPanelFollowsUserResets(t *testing.T) {
	for _, c := range []struct {
		resets  bool
		buttons string
		desc    string
	}{
		{true, "Redeem key,Reset HWID,Get script,Key info", "get your script, see your key's details or reset your HWID when you change devices here."},
		{false, "Redeem key,Get script,Key info", "get your script or see your key's details here."},
	} {
		r := panelReply(licensing.Project{Name: "Hub", UsersCanReset: c.resets})
		var got []string
		for _, b := range r.Components[0].Components {
			got = append(got, b.Label)
		}
		if strings.Join(got, ",") != c.buttons || !strings.Contains(r.Embeds[0].Description, c.desc) {
			t.Errorf("resets %v: buttons %v, %q", c.resets, got, r.Embeds[0].Description)
		}
	}
}
