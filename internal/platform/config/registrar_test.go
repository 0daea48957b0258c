package config

import (
	"strings"
	"testing"
)

func TestRegistrarSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil || c.RegistrarURL != "" || c.RegistrarKey != "" {
		t.Fatalf("default: %q %q %v", c.RegistrarURL, c.RegistrarKey, err)
	}
	c, err = Load(env(map[string]string{"LUMI_REGISTRAR_URL": "https://registrar.example.com/v1", "LUMI_REGISTRAR_KEY": "k-123"}))
	if err != nil || c.RegistrarURL != "https://registrar.example.com/v1" || c.RegistrarKey != "k-123" {
		t.Fatalf("set: %q %q %v", c.RegistrarURL, c.RegistrarKey, err)
	}
	for _, tc := range []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{"LUMI_REGISTRAR_URL": "registrar.example.com", "LUMI_REGISTRAR_KEY": "k"}, "LUMI_REGISTRAR_URL"},
		{map[string]string{"LUMI_REGISTRAR_URL": "ftp://registrar.example.com", "LUMI_REGISTRAR_KEY": "k"}, "LUMI_REGISTRAR_URL"},
		{map[string]string{"LUMI_REGISTRAR_URL": "https://", "LUMI_REGISTRAR_KEY": "k"}, "LUMI_REGISTRAR_URL"},
		{map[string]string{"LUMI_REGISTRAR_URL": "http://a b", "LUMI_REGISTRAR_KEY": "k"}, "LUMI_REGISTRAR_URL"},
		{map[string]string{"LUMI_REGISTRAR_URL": "https://registrar.example.com"}, "LUMI_REGISTRAR_KEY"},
		{map[string]string{"LUMI_REGISTRAR_KEY": "k"}, "LUMI_REGISTRAR_KEY"},
	} {
		_, err := Load(env(tc.env))
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+":") {
			t.Errorf("%v: err = %v, want one naming %s", tc.env, err, tc.name)
		}
	}
}
