package products

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// Registrar registers and manages domains at a registry. Names are lower
// case ASCII ("example.com"). Errors: ErrRegistrarRefused (the registry said
// no; nothing was done) or any other error (unreachable, bad answer).
type Registrar interface {
	// Sandbox: an offline stand-in; the UI labels it.
	Sandbox() bool
	// Check reports whether name can be registered.
	Check(ctx context.Context, name string) (available bool, err error)
	// Register registers name for years; it returns the registrar's reference.
	Register(ctx context.Context, r RegisterRequest) (ref string, err error)
	// Renew extends the registration by years.
	Renew(ctx context.Context, name string, years int) error
	SetNameservers(ctx context.Context, name string, ns []string) error
	SetLock(ctx context.Context, name string, locked bool) error
	SetPrivacy(ctx context.Context, name string, on bool) error
	// GetEPP returns the transfer authorisation code.
	GetEPP(ctx context.Context, name string) (string, error)
}

// RegisterRequest is one registration.
type RegisterRequest struct {
	Name        string   `json:"name"`
	Years       int      `json:"years"`
	Nameservers []string `json:"nameservers"`
	Locked      bool     `json:"locked"`
	Privacy     bool     `json:"privacy"`
}

// Provisioner creates and manages VPS and proxies at the hosting provider.
type Provisioner interface {
	Sandbox() bool
	CreateVPS(ctx context.Context, r VPSRequest) (VPSResult, error)
	// PowerVPS runs start, stop or reboot.
	PowerVPS(ctx context.Context, ref, action string) error
	RenewVPS(ctx context.Context, ref string, months int) error
	CreateProxy(ctx context.Context, r ProxyRequest) (ProxyResult, error)
	SetProxyAllowList(ctx context.Context, ref string, ips []string) error
	RenewProxy(ctx context.Context, ref string, months int) error
}

// VPSRequest asks for one server (ID is ours, for idempotent creation).
type VPSRequest struct {
	ID       int64  `json:"id"`
	Plan     string `json:"plan"`
	Hostname string `json:"hostname"`
	Months   int    `json:"months"`
}

// VPSResult is the created server.
type VPSResult struct {
	Ref string `json:"ref"`
	IP  string `json:"ip"`
}

// ProxyRequest asks for one proxy.
type ProxyRequest struct {
	ID       int64    `json:"id"`
	Plan     string   `json:"plan"`
	Type     string   `json:"type"`
	Country  string   `json:"country"`
	Months   int      `json:"months"`
	AllowIPs []string `json:"allow_ips"`
}

// ProxyResult is the created proxy and its credentials.
type ProxyResult struct {
	Ref      string `json:"ref"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// ErrRegistrarRefused: the registry or provider refused the operation.
var ErrRegistrarRefused = errors.New("refused by the provider")

// SandboxRegistrar is an offline registrar for development and demos.
// Names starting with "taken-" are unavailable; registering or renewing a
// name starting with "fail-" fails (to exercise refunds).
type SandboxRegistrar struct{}

// NewSandboxRegistrar makes the sandbox registrar.
func NewSandboxRegistrar() *SandboxRegistrar { return &SandboxRegistrar{} }

func (*SandboxRegistrar) Sandbox() bool { return true }

func (*SandboxRegistrar) Check(_ context.Context, name string) (bool, error) {
	return !strings.HasPrefix(name, "taken-"), nil
}

func (*SandboxRegistrar) Register(_ context.Context, r RegisterRequest) (string, error) {
	if strings.HasPrefix(r.Name, "fail-") {
		return "", fmt.Errorf("%w: sandbox registry rejected %s", ErrRegistrarRefused, r.Name)
	}
	return "sbx-" + r.Name, nil
}

func (*SandboxRegistrar) Renew(_ context.Context, name string, _ int) error {
	if strings.HasPrefix(name, "fail-") {
		return fmt.Errorf("%w: sandbox registry rejected the renewal", ErrRegistrarRefused)
	}
	return nil
}

func (*SandboxRegistrar) SetNameservers(context.Context, string, []string) error { return nil }
func (*SandboxRegistrar) SetLock(context.Context, string, bool) error            { return nil }
func (*SandboxRegistrar) SetPrivacy(context.Context, string, bool) error         { return nil }

func (*SandboxRegistrar) GetEPP(context.Context, string) (string, error) { return randomCode(16), nil }

// SandboxProvisioner is an offline VPS/proxy provider. A hostname starting
// with "fail-" fails to create.
type SandboxProvisioner struct{}

// NewSandboxProvisioner makes the sandbox provisioner.
func NewSandboxProvisioner() *SandboxProvisioner { return &SandboxProvisioner{} }

func (*SandboxProvisioner) Sandbox() bool { return true }

func (*SandboxProvisioner) CreateVPS(_ context.Context, r VPSRequest) (VPSResult, error) {
	if strings.HasPrefix(r.Hostname, "fail-") {
		return VPSResult{}, fmt.Errorf("%w: sandbox has no capacity", ErrRegistrarRefused)
	}
	return VPSResult{Ref: fmt.Sprintf("sbx-vps-%d", r.ID), IP: fmt.Sprintf("10.%d.%d.%d", r.ID>>16&255, r.ID>>8&255, r.ID&255)}, nil
}

func (*SandboxProvisioner) PowerVPS(context.Context, string, string) error { return nil }
func (*SandboxProvisioner) RenewVPS(context.Context, string, int) error    { return nil }

func (*SandboxProvisioner) CreateProxy(_ context.Context, r ProxyRequest) (ProxyResult, error) {
	return ProxyResult{Ref: fmt.Sprintf("sbx-proxy-%d", r.ID), Host: strings.ToLower(r.Country) + ".proxy.sandbox.lumi",
		Port: map[string]int{"http": 8080, "socks5": 1080}[r.Type], Username: fmt.Sprintf("lumi%d", r.ID), Password: randomCode(20)}, nil
}

func (*SandboxProvisioner) SetProxyAllowList(context.Context, string, []string) error { return nil }
func (*SandboxProvisioner) RenewProxy(context.Context, string, int) error             { return nil }

const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

func randomCode(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}
