package config

import (
	"strings"
	"testing"
	"time"
)

func TestMailDeliverySettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil || c.SMTPURL != "" || c.SMTPConcurrency != 4 || c.RetryFor != 24*time.Hour || c.PlatformMailFrom != "lumdesk@localhost" {
		t.Fatalf("defaults: %q %d %s %q %v", c.SMTPURL, c.SMTPConcurrency, c.RetryFor, c.PlatformMailFrom, err)
	}
	c, err = Load(env(map[string]string{
		"LUMORA_SMTP_URL":         "smtps://apikey:secret@smtp.example.com:465",
		"LUMORA_SMTP_CONCURRENCY": "8",
		"LUMORA_RETRY_FOR":        "72h",
		"PLATFORM_MAIL_FROM":      "noreply@lumdesk.example.com",
	}))
	if err != nil || c.SMTPURL != "smtps://apikey:secret@smtp.example.com:465" || c.SMTPConcurrency != 8 || c.RetryFor != 72*time.Hour || c.PlatformMailFrom != "noreply@lumdesk.example.com" {
		t.Fatalf("set: %+v %v", c, err)
	}
	for _, tc := range []struct{ name, value string }{
		{"LUMORA_SMTP_URL", "http://smtp.example.com"},
		{"LUMORA_SMTP_URL", "smtp.example.com:25"},
		{"LUMORA_SMTP_URL", "smtp://"},
		{"LUMORA_SMTP_URL", "smtp://h.example.com:99999"},
		{"LUMORA_SMTP_URL", "smtp://u:hunter2@h.example.com/x"},
		{"LUMORA_SMTP_CONCURRENCY", "0"},
		{"LUMORA_SMTP_CONCURRENCY", "65"},
		{"LUMORA_SMTP_CONCURRENCY", "many"},
		{"LUMORA_RETRY_FOR", "-1h"},
		{"LUMORA_RETRY_FOR", "200h"},
		{"PLATFORM_MAIL_FROM", "lumdesk"},
		{"PLATFORM_MAIL_FROM", "Lumdesk <lumdesk@localhost>"},
		{"PLATFORM_MAIL_FROM", "a@b\r\nBcc: x@y"},
	} {
		_, err := Load(env(map[string]string{tc.name: tc.value}))
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+":") {
			t.Errorf("%s=%q: err = %v, want one naming %s", tc.name, tc.value, err, tc.name)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error repeats the SMTP password: %v", err)
		}
	}
}
