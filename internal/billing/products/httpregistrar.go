package products

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPRegistrar speaks a small REST/JSON wire format to a registrar gateway.
//
// Every request carries "Authorization: Bearer <APIKey>" and, with a body,
// "Content-Type: application/json". Paths are relative to BaseURL; {name} is
// the path-escaped domain name.
//
//	POST /domains/check          {"name":"example.com"}                 → 200 {"available":true}
//	POST /domains                {"name","years","nameservers","locked","privacy"} → 201 {"ref":"R-123"}
//	POST /domains/{name}/renew   {"years":1}                            → 200 {}
//	PUT  /domains/{name}/nameservers {"nameservers":["ns1.x.net",…]}     → 200 {}
//	PUT  /domains/{name}/lock    {"locked":true}                        → 200 {}
//	PUT  /domains/{name}/privacy {"privacy":true}                       → 200 {}
//	GET  /domains/{name}/epp                                            → 200 {"epp_code":"…"}
//
// Errors answer a non-2xx status with {"error":{"code":"…","message":"…"}}.
// A 4xx other than 401/403/429 is the registry refusing (RegistrarError that
// matches ErrRegistrarRefused, e.g. code "unavailable", "invalid_name",
// "locked"); 401/403 matches ErrRegistrarAuth; 429 and 5xx and transport
// failures are temporary (Temporary() true) and may be retried.
type HTTPRegistrar struct {
	BaseURL string
	APIKey  string
	Client  *http.Client // nil: a client with a 20 s timeout
}

// ErrRegistrarAuth: the gateway refused our API key.
var ErrRegistrarAuth = errors.New("the registrar refused our credentials")

// RegistrarError is an error answer of the gateway.
type RegistrarError struct {
	Status  int
	Code    string
	Message string
}

func (e *RegistrarError) Error() string {
	return fmt.Sprintf("registrar answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Is matches ErrRegistrarRefused (a refusal) and ErrRegistrarAuth.
func (e *RegistrarError) Is(target error) bool {
	switch target {
	case ErrRegistrarAuth:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrRegistrarRefused:
		return e.Status >= 400 && e.Status < 500 && e.Status != 401 && e.Status != 403 && e.Status != 429
	}
	return false
}

// Temporary reports whether trying again later may succeed.
func (e *RegistrarError) Temporary() bool { return e.Status == 429 || e.Status >= 500 }

func (*HTTPRegistrar) Sandbox() bool { return false }

func (h *HTTPRegistrar) Check(ctx context.Context, name string) (bool, error) {
	var out struct {
		Available *bool `json:"available"`
	}
	if err := h.do(ctx, http.MethodPost, "/domains/check", map[string]string{"name": name}, &out); err != nil {
		return false, err
	}
	if out.Available == nil {
		return false, errors.New("registrar: check answer without \"available\"")
	}
	return *out.Available, nil
}

func (h *HTTPRegistrar) Register(ctx context.Context, r RegisterRequest) (string, error) {
	if r.Nameservers == nil {
		r.Nameservers = []string{}
	}
	var out struct {
		Ref string `json:"ref"`
	}
	if err := h.do(ctx, http.MethodPost, "/domains", r, &out); err != nil {
		return "", err
	}
	if out.Ref == "" {
		return "", errors.New("registrar: register answer without \"ref\"")
	}
	return out.Ref, nil
}

func (h *HTTPRegistrar) Renew(ctx context.Context, name string, years int) error {
	return h.do(ctx, http.MethodPost, "/domains/"+url.PathEscape(name)+"/renew", map[string]int{"years": years}, nil)
}

func (h *HTTPRegistrar) SetNameservers(ctx context.Context, name string, ns []string) error {
	if ns == nil {
		ns = []string{}
	}
	return h.do(ctx, http.MethodPut, "/domains/"+url.PathEscape(name)+"/nameservers", map[string][]string{"nameservers": ns}, nil)
}

func (h *HTTPRegistrar) SetLock(ctx context.Context, name string, locked bool) error {
	return h.do(ctx, http.MethodPut, "/domains/"+url.PathEscape(name)+"/lock", map[string]bool{"locked": locked}, nil)
}

func (h *HTTPRegistrar) SetPrivacy(ctx context.Context, name string, on bool) error {
	return h.do(ctx, http.MethodPut, "/domains/"+url.PathEscape(name)+"/privacy", map[string]bool{"privacy": on}, nil)
}

func (h *HTTPRegistrar) GetEPP(ctx context.Context, name string) (string, error) {
	var out struct {
		EPP string `json:"epp_code"`
	}
	if err := h.do(ctx, http.MethodGet, "/domains/"+url.PathEscape(name)+"/epp", nil, &out); err != nil {
		return "", err
	}
	if out.EPP == "" {
		return "", errors.New("registrar: epp answer without \"epp_code\"")
	}
	return out.EPP, nil
}

func (h *HTTPRegistrar) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(h.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("registrar: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+h.APIKey)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 20 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("registrar unreachable: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("registrar: read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &env)
		e := &RegistrarError{Status: resp.StatusCode, Code: env.Error.Code, Message: env.Error.Message}
		if e.Code == "" {
			e.Code = "http_" + fmt.Sprint(resp.StatusCode)
		}
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("registrar: bad answer: %w", err)
		}
	}
	return nil
}
