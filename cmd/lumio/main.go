// Command lumio is the Lumio developer CLI: it packs an extension's built
// directory into a reproducible bundle and submits it as a new version
// through the Developer REST API.
//
//	lumio deploy --extension ext_… --version 1.3.0 --changelog "…" [--dir dist] [--wait] [--interval 5s] [--timeout 30m]
//	lumio pack [--dir dist] --out bundle.tar.gz
//
// deploy reads LUMIO_API_KEY (an lm_dev_ key with extensions:write) and
// LUMIO_API_URL (default https://api.lumio.vision/developer/v1). Exit
// status: 0 done (with --wait: approved), 1 failed or rejected, 2 usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"lumdesk/internal/marketplace/pack"
)

// DefaultAPIURL is the Developer API's base URL.
const DefaultAPIURL = "https://api.lumio.vision/developer/v1"

const usageText = `lumio: the Lumio developer CLI

Usage:
  lumio deploy --extension ext_… --version 1.3.0 --changelog "…" [--dir dist] [--wait] [--interval 5s] [--timeout 30m]
      Pack --dir into a .tar.gz and submit it as a new version of the extension.
      With --wait, follow the review until the version is approved (exit 0)
      or rejected (exit 1, with the reason).
  lumio pack [--dir dist] --out bundle.tar.gz
      Write the bundle deploy would upload, without uploading it.

Environment:
  LUMIO_API_KEY   a developer API key (lm_dev_…) with the extensions:write scope;
                  create one in the portal under Account → Security → API Keys
  LUMIO_API_URL   the API's base URL (default ` + DefaultAPIURL + `)

Exit status: 0 success, 1 failure or rejection, 2 usage error.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// apiError is the API's error envelope.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// rejectedError is a version the review rejected.
type rejectedError struct{ id, version, reason string }

func (e *rejectedError) Error() string {
	reason := e.reason
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Sprintf("version %s (%s) was rejected: %s", e.version, e.id, reason)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	var err error
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return 0
	case "deploy":
		err = deploy(ctx, args[1:], getenv, stdout, stderr)
	case "pack":
		err = packCmd(args[1:], stdout, stderr)
	default:
		err = usageError{fmt.Sprintf("unknown command %q (want deploy or pack; lumio --help)", args[0])}
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lumio: %s\n", ue.msg)
		return 2
	default:
		fmt.Fprintf(stderr, "lumio: %s\n", oneLine(err.Error()))
		return 1
	}
}

// oneLine keeps an error on one line of the terminal.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newFlags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lumio "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() { fmt.Fprint(stdout, usageText) }
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func packCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pack", stdout)
	dir := fs.String("dir", "dist", "the directory to pack")
	out := fs.String("out", "", "where to write the .tar.gz")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"--out is required (lumio pack --dir dist --out bundle.tar.gz)"}
	}
	entries, err := pack.Scan(*dir)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".lumio-pack-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := pack.Write(tmp, *dir, entries); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	files := 0
	for _, e := range entries {
		if !e.Dir {
			files++
		}
	}
	fmt.Fprintf(stdout, "wrote %s (%d files)\n", *out, files)
	return nil
}

type deployOptions struct {
	extension, version, changelog, dir string
	wait                               bool
	interval, timeout                  time.Duration
}

func deploy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("deploy", stdout)
	var o deployOptions
	fs.StringVar(&o.extension, "extension", "", "the extension id (ext_…)")
	fs.StringVar(&o.version, "version", "", "the new version (SemVer, e.g. 1.3.0)")
	fs.StringVar(&o.changelog, "changelog", "", "what changed")
	fs.StringVar(&o.dir, "dir", "dist", "the built directory to upload")
	fs.BoolVar(&o.wait, "wait", false, "wait for the review's decision")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "how often to ask while waiting")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "how long to wait at most")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case o.extension == "":
		return usageError{"--extension is required (the ext_… id shown in the portal)"}
	case !strings.HasPrefix(o.extension, "ext_") || strings.ContainsAny(o.extension, "/?#% "):
		return usageError{fmt.Sprintf("--extension %q is not an extension id (ext_…)", o.extension)}
	case o.version == "":
		return usageError{"--version is required (e.g. --version 1.3.0)"}
	case o.interval <= 0:
		return usageError{"--interval must be positive"}
	case o.timeout <= 0:
		return usageError{"--timeout must be positive"}
	}
	key := strings.TrimSpace(getenv("LUMIO_API_KEY"))
	if key == "" {
		return errors.New("LUMIO_API_KEY is not set: create a developer key (lm_dev_…) in the portal under Account → Security → API Keys and export it")
	}
	base := strings.TrimRight(strings.TrimSpace(getenv("LUMIO_API_URL")), "/")
	if base == "" {
		base = DefaultAPIURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("LUMIO_API_URL %q is not an http(s) URL", base)
	}

	mv, err := pack.ManifestVersion(o.dir)
	if err != nil {
		return err
	}
	if mv != o.version {
		return fmt.Errorf("%s says version %q but --version is %q: build the version you deploy", filepath.Join(o.dir, "manifest.json"), mv, o.version)
	}
	entries, err := pack.Scan(o.dir)
	if err != nil {
		return err
	}

	c := &client{base: base, key: key, http: &http.Client{}}
	v, err := c.submit(ctx, o, entries)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "submitted %s version %s: %s (%s)\n", o.extension, v.Version, v.ID, v.Status)
	if !o.wait {
		return nil
	}
	return c.wait(ctx, o, v, stdout)
}

type client struct {
	base, key string
	http      *http.Client
}

// versionJSON is a version as the API answers it.
type versionJSON struct {
	ID              string `json:"id"`
	Version         string `json:"version"`
	Status          string `json:"status"`
	RejectionReason string `json:"rejectionReason"`
}

func (c *client) url(o deployOptions) string {
	return c.base + "/extensions/" + url.PathEscape(o.extension) + "/versions"
}

// submit streams the multipart upload: the version and changelog fields,
// then the bundle packed straight into the request body.
func (c *client) submit(ctx context.Context, o deployOptions, entries []pack.Entry) (versionJSON, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	packErr := make(chan error, 1)
	go func() {
		err := func() error {
			if err := mw.WriteField("version", o.version); err != nil {
				return err
			}
			if err := mw.WriteField("changelog", o.changelog); err != nil {
				return err
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="bundle"; filename="bundle.tar.gz"`)
			h.Set("Content-Type", "application/gzip")
			part, err := mw.CreatePart(h)
			if err != nil {
				return err
			}
			if err := pack.Write(part, o.dir, entries); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
		packErr <- err
	}()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(o), pr)
	if err != nil {
		pr.CloseWithError(err)
		<-packErr
		return versionJSON{}, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	// The server may answer before reading the whole body (a refused key):
	// stop the packer either way, then prefer the server's answer.
	pr.CloseWithError(errors.New("upload ended"))
	perr := <-packErr
	if err != nil {
		if perr != nil && strings.HasPrefix(perr.Error(), "pack: ") {
			return versionJSON{}, perr
		}
		return versionJSON{}, fmt.Errorf("uploading to %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	var out struct {
		Version versionJSON `json:"version"`
	}
	if err := decode(resp, &out); err != nil {
		return versionJSON{}, err
	}
	if perr != nil {
		return versionJSON{}, perr
	}
	if out.Version.ID == "" {
		return versionJSON{}, fmt.Errorf("the API answered %d without a version id", resp.StatusCode)
	}
	return out.Version, nil
}

// decode reads a 2xx JSON answer into v, or returns the error envelope.
func decode(resp *http.Response, v any) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("reading the API's answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var env struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(body, &env) == nil && env.Error != nil && env.Error.Code != "" {
			return env.Error
		}
		snippet := oneLine(string(body))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "…"
		}
		if snippet == "" {
			snippet = http.StatusText(resp.StatusCode)
		}
		return &apiError{Code: fmt.Sprintf("http_%d", resp.StatusCode), Message: snippet, Status: resp.StatusCode}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("the API's answer is not the JSON expected: %v", err)
	}
	return nil
}

// wait polls the versions list until v is approved or rejected.
func (c *client) wait(ctx context.Context, o deployOptions, v versionJSON, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	last := v.Status
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	for {
		switch last {
		case "approved":
			fmt.Fprintf(stdout, "version %s (%s) approved\n", v.Version, v.ID)
			return nil
		case "rejected":
			return &rejectedError{id: v.ID, version: v.Version, reason: v.RejectionReason}
		case "withdrawn":
			return fmt.Errorf("version %s (%s) was withdrawn", v.Version, v.ID)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("gave up after %s: version %s (%s) is still %s", o.timeout, v.Version, v.ID, last)
			}
			return ctx.Err()
		case <-tick.C:
		}
		got, err := c.findVersion(ctx, o, v.ID)
		if err != nil {
			if ctx.Err() != nil {
				continue // the select above reports the timeout or the interrupt
			}
			return err
		}
		if got.Status != last {
			fmt.Fprintf(stdout, "version %s (%s): %s\n", got.Version, got.ID, got.Status)
		}
		v, last = got, got.Status
	}
}

func (c *client) findVersion(ctx context.Context, o deployOptions, id string) (versionJSON, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(o), nil)
	if err != nil {
		return versionJSON{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return versionJSON{}, fmt.Errorf("asking %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	var out struct {
		Versions []versionJSON `json:"versions"`
	}
	if err := decode(resp, &out); err != nil {
		return versionJSON{}, err
	}
	for _, v := range out.Versions {
		if v.ID == id {
			return v, nil
		}
	}
	return versionJSON{}, fmt.Errorf("version %s is not in the extension's versions list", id)
}
