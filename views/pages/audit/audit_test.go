package audit

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

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

// The chain's status line for each way a Status can stand.
func TestStatusLine(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, status string
		st           *auditlog.Status
		want, not    []string
	}{
		{"walked whole now", "intact",
			&auditlog.Status{Verification: auditlog.Verification{OK: true, Rows: 1200}, CheckedAt: now, WalkedAt: now},
			[]string{"Chain intact · 1,200 events verified"}, []string{"last walked", "wait for"}},
		{"continuing the hourly walk", "intact",
			&auditlog.Status{Verification: auditlog.Verification{OK: true, Rows: 1_000_400}, CheckedAt: now, WalkedAt: now.Add(-20 * time.Minute)},
			[]string{"Chain intact · 1,000,400 events verified", "whole chain last walked 20 min"}, []string{"wait for"}},
		{"more new events than a page walks", "intact",
			&auditlog.Status{Verification: auditlog.Verification{OK: true, Rows: 900_000}, CheckedAt: now, WalkedAt: now.Add(-time.Hour), Pending: true},
			[]string{"the newest events wait for the next whole walk"}, nil},
		{"before the first whole walk", "verifying",
			&auditlog.Status{Verification: auditlog.Verification{OK: true, Rows: 20_000}, CheckedAt: now, Pending: true},
			[]string{"Verifying the chain · the oldest 20,000 events verify so far", "walked in the background"}, []string{"Chain intact"}},
		{"broken", "broken",
			&auditlog.Status{Verification: auditlog.Verification{BadID: 7, Problem: "content does not match its hash"}, CheckedAt: now, WalkedAt: now},
			[]string{"Chain broken at event #7: content does not match its hash"}, nil},
		{"not checked", "unknown", nil, []string{"could not be checked"}, nil},
	} {
		var b strings.Builder
		if err := StatusLine(tc.st, now).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		text := strings.Join(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, " ")), " ")
		text = strings.ReplaceAll(text, " :", ":") // the event's link ends before its colon
		if !strings.Contains(html, `data-status="`+tc.status+`"`) {
			t.Errorf("%s: not data-status %q: %s", tc.name, tc.status, html)
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q is not in %q", tc.name, w, text)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(text, n) {
				t.Errorf("%s: %q is in %q", tc.name, n, text)
			}
		}
	}
}
