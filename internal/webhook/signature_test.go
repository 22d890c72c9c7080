package webhook

import "testing"

func TestValidSignature(t *testing.T) {
	const vectorSecret = "It's a Secret to Everybody"
	const vectorSig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	vectorBody := []byte("Hello, World!")
	old, cur := []byte("old-secret"), []byte("new-secret")
	tests := []struct {
		name    string
		header  string
		body    []byte
		secrets [][]byte
		want    bool
	}{
		{"GitHub's published vector", vectorSig, vectorBody, [][]byte{[]byte(vectorSecret)}, true},
		{"vector among rotation secrets", vectorSig, vectorBody, [][]byte{old, []byte(vectorSecret)}, true},
		{"rotation: old secret", sign("old-secret", vectorBody), vectorBody, [][]byte{old, cur}, true},
		{"rotation: new secret", sign("new-secret", vectorBody), vectorBody, [][]byte{old, cur}, true},
		{"neither secret", sign("other", vectorBody), vectorBody, [][]byte{old, cur}, false},
		{"body changed", vectorSig, []byte("Hello, World?"), [][]byte{[]byte(vectorSecret)}, false},
		{"missing", "", vectorBody, [][]byte{[]byte(vectorSecret)}, false},
		{"sha1 prefix", "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", vectorBody, [][]byte{[]byte(vectorSecret)}, false},
		{"no prefix", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", vectorBody, [][]byte{[]byte(vectorSecret)}, false},
		{"truncated hex", vectorSig[:len(vectorSig)-2], vectorBody, [][]byte{[]byte(vectorSecret)}, false},
		{"not hex", "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", vectorBody, [][]byte{[]byte(vectorSecret)}, false},
		{"prefix only", "sha256=", vectorBody, [][]byte{[]byte(vectorSecret)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validSignature(tt.header, tt.body, tt.secrets); got != tt.want {
				t.Errorf("validSignature(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}
