package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const signaturePrefix = "sha256="

// validSignature reports whether header is "sha256=<hex>" of the HMAC-SHA256
// of body under any of secrets. Every secret is tried, whatever the outcome,
// so the time taken says nothing about which secret matched; hmac.Equal
// compares in constant time. Two secrets are configured while one rotates.
func validSignature(header string, body []byte, secrets [][]byte) bool {
	hexSig, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok || len(hexSig) != 2*sha256.Size {
		return false
	}
	want, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	valid := false
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), want) {
			valid = true
		}
	}
	return valid
}
