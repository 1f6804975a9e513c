package smtptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// Message is one accepted email.
type Message struct {
	From     string   // envelope sender (MAIL FROM)
	To       []string // envelope recipients (RCPT TO)
	Subject  string   // decoded
	Text     string   // first text/plain part, decoded
	HTML     string   // first text/html part, decoded
	Header   mail.Header
	Raw      []byte // as received, CRLF line endings
	TLS      bool   // the message came over TLS (STARTTLS or implicit)
	Username string // who authenticated, if anyone
}

// maxParts stops a hostile or broken message from making Parse loop for
// long; real mail has a handful.
const maxParts = 100

// Parse decodes a message as the server does: headers, the subject, and
// the first text/plain and text/html parts of any multipart nesting, with
// quoted-printable and base64 transfer encodings undone. Character sets
// other than UTF-8 and US-ASCII are not converted.
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("reading header: %w", err)
	}
	m := Message{Header: msg.Header, Raw: raw}
	var dec mime.WordDecoder
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Message{}, fmt.Errorf("decoding subject: %w", err)
	}
	parts := 0
	if err := m.walk(textproto.MIMEHeader(msg.Header), msg.Body, &parts); err != nil {
		return Message{}, err
	}
	if parts == 1 {
		// A single-part message ends in the line break that SMTP requires
		// of every message; it is not the sender's text. (Inside multipart
		// the break before a boundary belongs to the boundary.)
		m.Text = strings.TrimSuffix(m.Text, "\n")
		m.HTML = strings.TrimSuffix(m.HTML, "\n")
	}
	return m, nil
}

func (m *Message) walk(h textproto.MIMEHeader, body io.Reader, parts *int) error {
	if *parts++; *parts > maxParts {
		return fmt.Errorf("more than %d MIME parts", maxParts)
	}
	mediaType, params := "text/plain", map[string]string{}
	if ct := h.Get("Content-Type"); ct != "" {
		var err error
		if mediaType, params, err = mime.ParseMediaType(ct); err != nil {
			return fmt.Errorf("content type %q: %w", ct, err)
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart, so transfer encodings are undone in one place
			// (decode) rather than by multipart for some of them.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediaType, err)
			}
			if err := m.walk(p.Header, p, parts); err != nil {
				return err
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil
	}
	if d, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); d == "attachment" {
		return nil
	}
	text, err := decode(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	switch {
	case mediaType == "text/plain" && m.Text == "":
		m.Text = text
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = text
	}
	return nil
}

func decode(encoding string, body io.Reader) (string, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks
	case "", "7bit", "8bit", "binary":
	default:
		return "", fmt.Errorf("unknown transfer encoding %q", encoding)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}
