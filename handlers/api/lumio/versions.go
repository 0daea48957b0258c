package lumio

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/api/apikit"
	"lumdesk/handlers/web"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/marketplace"
)

func actorOf(c *fiber.Ctx) audit.Actor { return apikit.Actor(c) }

// versionObject is a version as the API shows it.
func versionObject(v marketplace.VersionInfo) fiber.Map {
	m := fiber.Map{"id": v.ID, "version": v.Version, "status": v.Status, "bundleSizeBytes": v.BundleSize,
		"submittedAt": stamp(v.SubmittedAt), "approvedAt": stampPtr(v.ApprovedAt), "changelog": v.Changelog,
		"rolloutPercent": v.RolloutPercent}
	if v.Status == marketplace.VersionRejected {
		m["rejectionReason"] = v.RejectionReason
	}
	return m
}

func (api *API) listVersions(c *fiber.Ctx, k apikeys.Key) error {
	id := pathID(c, "id")
	vs, err := api.svc.ListVersions(c.UserContext(), k.Scope(), id)
	if err != nil {
		return api.serviceErr(c, err, id, "")
	}
	out := make([]fiber.Map, len(vs))
	for i, v := range vs {
		out[i] = versionObject(v)
	}
	return c.JSON(fiber.Map{"versions": out})
}

// getVersion: GET /extensions/:id/versions/:version_id (a version of
// another extension is not found).
func (api *API) getVersion(c *fiber.Ctx, k apikeys.Key) error {
	id, verID := pathID(c, "id"), pathID(c, "version_id")
	if _, err := api.svc.GetExtension(c.UserContext(), k.Scope(), id); err != nil {
		return api.serviceErr(c, err, id, verID)
	}
	v, err := api.svc.GetVersion(c.UserContext(), k.Scope(), verID)
	if err == nil && v.ExtensionID != id {
		err = marketplace.ErrVersionNotFound
	}
	if err != nil {
		return api.serviceErr(c, err, id, verID)
	}
	return c.JSON(fiber.Map{"version": versionObject(v)})
}

// Bounds on the upload's text fields, in bytes.
const (
	maxVersionField   = 256
	maxChangelogField = marketplace.MaxChangelog * utf8.UTFMax
)

const msgUploadForm = `Send multipart/form-data with the fields version, changelog and bundle, e.g. ` +
	`curl -F "version=1.3.0" -F "changelog=…" -F "bundle=@dist/bundle.tar.gz".`

// submitVersion: POST /extensions/:id/versions, multipart/form-data with
// version, changelog (optional) and bundle. The body streams
// (web.BodyStreamer): in that order, the fields are read first, then the
// bundle part flows through the validator into the blob store, never whole
// in memory; a bundle that comes first waits in a temporary file.
func (api *API) submitVersion(c *fiber.Ctx, k apikeys.Key) error {
	ctx := c.UserContext()
	id := pathID(c, "id")
	// Another account's extension is not found before any byte is read.
	if _, err := api.svc.GetExtension(ctx, k.Scope(), id); err != nil {
		return api.serviceErr(c, err, id, "")
	}
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return writeErr(c, fiber.StatusUnsupportedMediaType, CodeUnsupportedMedia, msgUploadForm)
	}
	body := &bodyReader{r: web.BodyStream(c)}
	mr := multipart.NewReader(body, params["boundary"])
	var version, changelog *string
	tooLarge := func() error {
		return writeErr(c, fiber.StatusRequestEntityTooLarge, CodePayloadTooLarge,
			fmt.Sprintf("bundle: larger than %s compressed; nothing was stored.", sizeText(api.maxUpload)))
	}
	// submit hands the bundle to the service and answers: 202, or why not.
	submit := func(r io.Reader) error {
		bundle := &bodyReader{r: r}
		v, err := api.svc.SubmitVersion(ctx, actorOf(c), k.Scope(), id, marketplace.VersionInput{Version: deref(version), Changelog: deref(changelog), Bundle: bundle})
		if err != nil {
			if bundle.n > api.maxUpload {
				return tooLarge()
			}
			if bundle.err != nil {
				return api.uploadReadErr(c, body, bundle.err)
			}
			return api.serviceErr(c, err, id, "")
		}
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"version": fiber.Map{"id": v.ID, "version": v.Version,
			"status": v.Status, "submittedAt": stamp(v.SubmittedAt)}})
	}
	// A bundle sent before the version waits on disk (bounded) until the
	// fields arrive; in the documented order it streams straight through.
	var early *os.File
	defer func() {
		if early != nil {
			_ = early.Close()
			_ = os.Remove(early.Name())
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return api.uploadReadErr(c, body, err)
		}
		switch name := part.FormName(); name {
		case "version", "changelog":
			if (name == "version" && version != nil) || (name == "changelog" && changelog != nil) {
				return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, name+": given more than once.")
			}
			limit := maxVersionField
			if name == "changelog" {
				limit = maxChangelogField
			}
			b, err := io.ReadAll(io.LimitReader(part, int64(limit)+1))
			if err != nil {
				return api.uploadReadErr(c, body, err)
			}
			if len(b) > limit {
				if name == "changelog" {
					return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, fmt.Sprintf("changelog: At most %d characters.", marketplace.MaxChangelog))
				}
				return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "version: Must be a semantic version (SemVer 2.0) such as 1.2.0 or 2.0.0-beta.1.")
			}
			s := string(b)
			if name == "version" {
				version = &s
			} else {
				changelog = &s
			}
		case "bundle":
			if early != nil {
				return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "bundle: given more than once.")
			}
			if version == nil {
				f, err := os.CreateTemp("", "lumio-bundle-*")
				if err != nil {
					return err
				}
				early = f
				n, err := io.Copy(f, io.LimitReader(part, api.maxUpload+1))
				if err != nil {
					return api.uploadReadErr(c, body, err)
				}
				if n > api.maxUpload {
					return tooLarge()
				}
				continue
			}
			err := submit(part)
			// The closing boundary and any epilogue (bounded), so the
			// connection can serve another request.
			if _, err := mr.NextPart(); errors.Is(err, io.EOF) {
				_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
			}
			return err
		default:
			return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation,
				fmt.Sprintf("Unknown field %q; the fields are version, changelog and bundle.", shown(name)))
		}
	}
	if early != nil {
		if _, err := early.Seek(0, io.SeekStart); err != nil {
			return err
		}
		return submit(early)
	}
	// No bundle part: the service names what is missing.
	_, err = api.svc.SubmitVersion(ctx, actorOf(c), k.Scope(), id, marketplace.VersionInput{Version: deref(version), Changelog: deref(changelog)})
	return api.serviceErr(c, err, id, "")
}

// uploadReadErr answers a body that could not be read: too slow (408), or
// ended or malformed (422).
func (api *API) uploadReadErr(c *fiber.Ctx, body *bodyReader, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.As(body.err, &ne) && ne.Timeout() {
		return writeErr(c, fiber.StatusRequestTimeout, CodeRequestTimeout, "The upload arrived too slowly and was abandoned; nothing was stored.")
	}
	msg := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		msg = "the body ended before its closing boundary"
	}
	return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation,
		"The multipart body is malformed or truncated ("+strings.TrimPrefix(msg, "multipart: ")+"); nothing was stored. "+msgUploadForm)
}

// bodyReader counts what was read and keeps the first error other than EOF.
type bodyReader struct {
	r   io.Reader
	n   int64
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && b.err == nil {
		b.err = err
	}
	return n, err
}
