package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
)

// formContentType is the content type GitHub sends when a webhook is set
// to application/x-www-form-urlencoded: the body is payload=<the JSON,
// escaped>, and the signature covers that body as sent.
const formContentType = "application/x-www-form-urlencoded"

// isForm reports whether a delivery's Content-Type says it is form-encoded.
func isForm(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == formContentType
}

// formPayload returns the JSON of a form-encoded body: the value of its one
// payload field, unescaped. The result is never longer than the body, and
// nothing is built but that one slice (no map of every field), so a body
// of many fields costs no more than one of a single field.
func formPayload(body []byte) ([]byte, error) {
	var payload []byte
	found := false
	for field := range bytes.SplitSeq(body, []byte("&")) {
		key, value, _ := bytes.Cut(field, []byte("="))
		// An escaped "payload" is at most three bytes per letter; a longer
		// key is some other field, not worth unescaping.
		if len(key) > 3*len("payload") {
			continue
		}
		name, err := unescapeForm(key)
		if err != nil || string(name) != "payload" {
			continue
		}
		if found {
			return nil, errors.New("more than one payload field")
		}
		found = true
		if payload, err = unescapeForm(value); err != nil {
			return nil, fmt.Errorf("payload field: %w", err)
		}
	}
	if !found {
		return nil, errors.New("no payload field")
	}
	return payload, nil
}

// unescapeForm undoes application/x-www-form-urlencoded escaping: "+" is a
// space and "%XX" a byte, as url.QueryUnescape does.
func unescapeForm(s []byte) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			out = append(out, ' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return nil, fmt.Errorf("invalid escape at byte %d", i)
			}
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}
