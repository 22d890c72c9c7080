package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

const signaturePrefix = "sha256="

// signatureCheck verifies X-Hub-Signature-256 while the body streams
// through it, so that checking a body never needs the whole of it at once.
// The HMAC is computed under every secret, whatever the outcome, so the
// time taken says nothing about which secret matched; hmac.Equal compares
// in constant time. Two secrets are configured while one rotates.
type signatureCheck struct {
	want []byte // nil when the header is not "sha256=<64 hex digits>"
	macs []hash.Hash
}

func newSignatureCheck(header string, secrets [][]byte) *signatureCheck {
	c := &signatureCheck{macs: make([]hash.Hash, len(secrets))}
	for i, secret := range secrets {
		c.macs[i] = hmac.New(sha256.New, secret)
	}
	if hexSig, ok := strings.CutPrefix(header, signaturePrefix); ok && len(hexSig) == 2*sha256.Size {
		if want, err := hex.DecodeString(hexSig); err == nil {
			c.want = want
		}
	}
	return c
}

// wellFormed reports whether the header was "sha256=<64 hex digits>"; when
// it was not, no body can be valid and none needs reading.
func (c *signatureCheck) wellFormed() bool { return c.want != nil }

// Write adds p to every HMAC; it never fails.
func (c *signatureCheck) Write(p []byte) (int, error) {
	for _, mac := range c.macs {
		mac.Write(p)
	}
	return len(p), nil
}

// valid reports whether the bytes written are signed by any secret.
func (c *signatureCheck) valid() bool {
	valid := false
	for _, mac := range c.macs {
		if hmac.Equal(mac.Sum(nil), c.want) && c.want != nil {
			valid = true
		}
	}
	return valid
}

// validSignature reports whether header is "sha256=<hex>" of the
// HMAC-SHA256 of body under any of secrets.
func validSignature(header string, body []byte, secrets [][]byte) bool {
	c := newSignatureCheck(header, secrets)
	c.Write(body)
	return c.valid()
}
