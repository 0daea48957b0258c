package blob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// FromURL returns the store BLOB_URL names: "" is a directory store under
// dataDir/blobs, file:///path a directory store at path, and
// s3://bucket?endpoint=https://host&region=r[&prefix=p] an S3-compatible
// bucket (path-style requests, signed with AWS Signature V4 from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), so several server nodes
// share the bundles.
func FromURL(blobURL, dataDir string, getenv func(string) string) (Store, error) {
	if blobURL == "" {
		if dataDir == "" {
			return nil, errors.New("blob: neither BLOB_URL nor DATA_DIR is set")
		}
		return NewDir(filepath.Join(dataDir, "blobs"))
	}
	u, err := url.Parse(blobURL)
	if err != nil {
		return nil, fmt.Errorf("BLOB_URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		return NewDir(u.Path)
	case "s3":
		q := u.Query()
		cfg := S3Config{
			Bucket:    u.Host,
			Endpoint:  q.Get("endpoint"),
			Region:    q.Get("region"),
			Prefix:    q.Get("prefix"),
			AccessKey: getenv("AWS_ACCESS_KEY_ID"),
			SecretKey: getenv("AWS_SECRET_ACCESS_KEY"),
		}
		if cfg.Endpoint == "" && cfg.Region != "" {
			cfg.Endpoint = "https://s3." + cfg.Region + ".amazonaws.com"
		}
		return NewS3(cfg)
	}
	return nil, fmt.Errorf("BLOB_URL: scheme %q is not file or s3", u.Scheme)
}

// S3Config configures an S3-compatible store.
type S3Config struct {
	Bucket    string
	Endpoint  string // http(s)://host[:port], path-style
	Region    string // "" is us-east-1
	Prefix    string // key prefix, e.g. "lumio/"
	AccessKey string
	SecretKey string
	Client    *http.Client // nil: a client with a 5-minute timeout
	TempDir   string       // pending blobs; "" is os.TempDir()
}

// S3 is a Store in an S3-compatible bucket. Pending blobs are spooled to a
// local temporary file and uploaded by Commit, with their sha256 as the
// signed payload hash, so the bucket checks the content too.
type S3 struct {
	cfg  S3Config
	base *url.URL
}

// NewS3 checks cfg and returns the store (no request is made).
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" || strings.ContainsAny(cfg.Bucket, "/?#") {
		return nil, fmt.Errorf("blob: S3 bucket %q is not valid", cfg.Bucket)
	}
	base, err := url.Parse(cfg.Endpoint)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("blob: S3 endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	return &S3{cfg: cfg, base: base}, nil
}

func (s *S3) objectURL(sha string) *url.URL {
	u := *s.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + s.cfg.Bucket + "/" + s.cfg.Prefix + sha[:2] + "/" + sha[2:4] + "/" + sha
	u.RawQuery = ""
	return &u
}

// do signs and sends a request; body may be nil.
func (s *S3) do(ctx context.Context, method, sha string, body io.Reader, size int64, payloadHash string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.objectURL(sha).String(), body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	signV4(req, payloadHash, s.cfg.AccessKey, s.cfg.SecretKey, s.cfg.Region, time.Now())
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("blob: S3 %s: %w", method, err)
	}
	return resp, nil
}

func s3Error(method string, resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Errorf("blob: S3 %s: %s: %s", method, resp.Status, strings.TrimSpace(string(msg)))
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, sha string, r io.Reader, size int64) error {
	return put(ctx, s, sha, r, size)
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, sha string) (io.ReadCloser, error) {
	if !ValidHash(sha) {
		return nil, ErrBadHash
	}
	resp, err := s.do(ctx, http.MethodGet, sha, nil, 0, emptySHA)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, nil
	case http.StatusNotFound:
		resp.Body.Close()
		return nil, ErrNotFound
	}
	defer resp.Body.Close()
	return nil, s3Error("GET", resp)
}

// Exists implements Store.
func (s *S3) Exists(ctx context.Context, sha string) (bool, error) {
	if !ValidHash(sha) {
		return false, ErrBadHash
	}
	resp, err := s.do(ctx, http.MethodHead, sha, nil, 0, emptySHA)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, s3Error("HEAD", resp)
}

// Create implements Store.
func (s *S3) Create(ctx context.Context) (Pending, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.cfg.TempDir, "lumio-blob-*")
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &s3Pending{s: s, f: f, h: sha256.New()}, nil
}

type s3Pending struct {
	s    *S3
	f    *os.File
	h    hash.Hash
	n    int64
	done bool
}

func (p *s3Pending) Write(b []byte) (int, error) {
	if p.done {
		return 0, errors.New("blob: write after commit or abort")
	}
	n, err := p.f.Write(b)
	p.h.Write(b[:n])
	p.n += int64(n)
	return n, err
}

func (p *s3Pending) Commit(ctx context.Context, sha string) error {
	if p.done {
		return errors.New("blob: commit after commit or abort")
	}
	defer p.Abort() // the spool file goes either way
	if !ValidHash(sha) {
		return ErrBadHash
	}
	if got := hex.EncodeToString(p.h.Sum(nil)); got != sha {
		return fmt.Errorf("%w: content is %s, not %s", ErrMismatch, got, sha)
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	resp, err := p.s.do(ctx, http.MethodPut, sha, io.NopCloser(p.f), p.n, sha)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return s3Error("PUT", resp)
	}
	return nil
}

func (p *s3Pending) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	p.f.Close()
	if err := os.Remove(p.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signV4 signs req with AWS Signature Version 4 (service s3), signing the
// host, the x-amz-* headers and the Range header when present.
func signV4(req *http.Request, payloadHash, accessKey, secretKey, region string, now time.Time) {
	now = now.UTC()
	amzDate := now.Format("20060102T150405Z")
	day := now.Format("20060102")
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if accessKey == "" {
		return // anonymous (a public or unauthenticated test bucket)
	}
	headers := map[string]string{"host": req.URL.Host}
	for k, v := range req.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") || lk == "range" || lk == "content-type" || lk == "content-md5" {
			headers[lk] = strings.TrimSpace(strings.Join(v, ","))
		}
	}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var canonHeaders strings.Builder
	for _, k := range names {
		canonHeaders.WriteString(k + ":" + headers[k] + "\n")
	}
	signed := strings.Join(names, ";")
	canonical := strings.Join([]string{
		req.Method,
		req.URL.EscapedPath(),
		canonicalQuery(req.URL.Query()),
		canonHeaders.String(),
		signed,
		payloadHash,
	}, "\n")
	scope := day + "/" + region + "/s3/aws4_request"
	ch := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(ch[:])
	key := hmacSHA256([]byte("AWS4"+secretKey), day)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+accessKey+"/"+scope+", SignedHeaders="+signed+", Signature="+sig)
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, awsEscape(k)+"="+awsEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
