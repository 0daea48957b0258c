package config

import (
	"strings"
	"testing"
)

func TestWebhookAllowPrivate(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil || c.WebhookAllowPrivate {
		t.Fatalf("default: allow private = %v, err %v; want off", c.WebhookAllowPrivate, err)
	}
	c, err = Load(env(map[string]string{"WEBHOOK_ALLOW_PRIVATE": "true"}))
	if err != nil || !c.WebhookAllowPrivate {
		t.Fatalf("set: allow private = %v, err %v", c.WebhookAllowPrivate, err)
	}
	if _, err := Load(env(map[string]string{"WEBHOOK_ALLOW_PRIVATE": "sometimes"})); err == nil || !strings.HasPrefix(err.Error(), "WEBHOOK_ALLOW_PRIVATE:") {
		t.Fatalf("bad value: err = %v, want one naming WEBHOOK_ALLOW_PRIVATE", err)
	}
}
