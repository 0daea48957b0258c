package sandbox

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
)

// maxParts bounds how many MIME parts one message may make us walk, so a
// hostile message can't keep the server busy.
const maxParts = 100

var wordDecoder = mime.WordDecoder{
	// Charsets other than UTF-8 and US-ASCII are kept as the encoded words;
	// the raw message is there for anything more.
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		return nil, errors.New("unknown charset " + charset)
	},
}

func decodeHeader(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// parse fills the message's headers and bodies from its raw bytes. A message
// that doesn't parse is still kept: the raw bytes are what matters then.
func parse(m *Message) {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(m.Raw)))
	hdr, err := readHeaderInOrder(r)
	m.Headers = hdr
	if err != nil {
		return
	}
	m.Subject = m.HeaderValue("Subject")
	m.From = m.HeaderValue("From")
	m.To = m.HeaderValue("To")
	m.MessageID = strings.Trim(strings.TrimSpace(m.HeaderValue("Message-Id")), "<>")
	parts := 0
	walk(&parts, rawHeader(hdr, "Content-Type"), rawHeader(hdr, "Content-Transfer-Encoding"), r.R, m)
}

// rawHeader gives a header's value for MIME parsing (the decoded form is the
// same for Content-* headers, which are ASCII).
func rawHeader(h []Header, name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// readHeaderInOrder reads the header block keeping the order and repeats that
// textproto.MIMEHeader would lose (the console shows headers as received).
func readHeaderInOrder(r *textproto.Reader) ([]Header, error) {
	var out []Header
	for {
		line, err := r.ReadContinuedLine()
		if line == "" {
			return out, err
		}
		name, value, ok := strings.Cut(line, ":")
		if ok {
			out = append(out, Header{Name: strings.TrimSpace(name), Value: decodeHeader(strings.TrimSpace(value))})
		}
		if err != nil {
			return out, err
		}
	}
}

// walk finds the first text/plain and text/html parts, through nested
// multiparts, decoding their transfer encoding.
func walk(parts *int, contentType, cte string, body io.Reader, m *Message) {
	*parts++
	if *parts > maxParts {
		return
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walk(parts, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m)
			if *parts > maxParts {
				return
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return
	}
	var dec io.Reader = body
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		dec = quotedprintable.NewReader(body)
	case "base64":
		dec = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	b, err := io.ReadAll(io.LimitReader(dec, MaxMessageBytes))
	if err != nil && len(b) == 0 {
		return
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	if mediaType == "text/plain" && m.Text == "" {
		m.Text = text
	} else if mediaType == "text/html" && m.HTML == "" {
		m.HTML = text
	}
}

// newlineStripper drops CR and LF so base64 lines decode as one stream.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
