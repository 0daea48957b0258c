package audit

import (
	"testing"

	auditlog "lumdesk/internal/audit"
)

// Every entity type the code records links to its page (the list of types
// is checked against the code by internal/audit's
// TestEveryWrittenEntityTypeIsKnown).
func TestEveryEntityTypeLinks(t *testing.T) {
	names := auditlog.Names{{Type: auditlog.EntityLicensingScript, ID: "7"}: {Label: "main.lua", Parent: "0123456789abcdef012345"},
		{Type: auditlog.EntityCustomerUser, ID: "8"}: {Label: "Ana", Parent: "12"}}
	for _, typ := range append(auditlog.EntityTypes, auditlog.RefTypes...) {
		if href := EntityHref(auditlog.Ref{Type: typ, ID: "7", Account: "3"}, names); href == "" || href[0] != '/' {
			t.Errorf("%s has no page link (%q): add it to EntityHref", typ, href)
		}
		if n := EntityNoun(typ); n == "" {
			t.Errorf("%s has no noun (%q)", typ, n)
		}
	}
	for ref, want := range map[auditlog.Ref]string{
		{Type: auditlog.EntityAccount, ID: "26"}:                          "/accounts/26",
		{Type: auditlog.EntityLicenseKey, ID: "5"}:                        "/luarmor/keys/5",
		{Type: auditlog.EntityLicensingScript, ID: "7"}:                   "/luarmor/projects/0123456789abcdef012345/scripts/7",
		{Type: auditlog.EntityDomain, ID: "3"}:                            "/lumi/domains/3",
		{Type: auditlog.EntityBulkJob, ID: "9"}:                           "/luarmor/jobs/9",
		{Type: auditlog.EntityMailWebhook, ID: "ep_abc123"}:               "/lumora/webhooks/ep_abc123",
		{Type: auditlog.EntityMailWebhookDelivery, ID: "41"}:              "/lumora/webhooks/deliveries/41",
		{Type: auditlog.EntityMailWebhookDelivery, ID: "x"}:               "",
		{Type: auditlog.EntityCustomerUser, ID: "8"}:                      "/accounts/12?tab=portal",
		{Type: auditlog.EntityLumioExtension, ID: "ext_aaaaaaaaaaaaaaaa"}: "/lumio/extensions/ext_aaaaaaaaaaaaaaaa",
		{Type: auditlog.EntityLumioVersion, ID: "ver_aaaaaaaaaaaaaaaa"}:   "/lumio/versions/ver_aaaaaaaaaaaaaaaa",
		{Type: auditlog.EntityCustomerUser, ID: "9"}:                      "",
		{Type: auditlog.EntityAccount, ID: "=1+1"}:                        "",
		{Type: auditlog.EntityLicensingScript, ID: "gone"}:                "",
		{Type: "widget", ID: "1"}:                                         "",
	} {
		if got := EntityHref(ref, names); got != want {
			t.Errorf("EntityHref(%v) = %q, want %q", ref, got, want)
		}
	}
}

func TestActorAndEntityNames(t *testing.T) {
	names := auditlog.Names{
		{Type: auditlog.EntityStaffUser, ID: "3"}: {Label: "Amy Pond"},
		{Type: auditlog.EntityAccount, ID: "26"}:  {Label: "Acme Corp"},
	}
	staff := auditlog.Entry{ActorKind: auditlog.KindStaff, ActorID: "3", ActorLabel: "amy@x.test"}
	if ActorName(staff, names) != "Amy Pond" || ActorHref(staff, names) != "/staff/3" {
		t.Errorf("staff actor %q %q", ActorName(staff, names), ActorHref(staff, names))
	}
	gone := auditlog.Entry{ActorKind: auditlog.KindStaff, ActorID: "4", ActorLabel: "old@x.test"}
	if ActorName(gone, names) != "old@x.test" {
		t.Errorf("deleted staff actor %q", ActorName(gone, names))
	}
	if sys := (auditlog.Entry{ActorKind: auditlog.KindSystem}); ActorName(sys, names) != "System" || ActorHref(sys, names) != "" {
		t.Errorf("system actor %q", ActorName(sys, names))
	}
	if got := EntityName(auditlog.Ref{Type: auditlog.EntityAccount, ID: "26"}, names); got != "Acme Corp" {
		t.Errorf("account name %q", got)
	}
}
