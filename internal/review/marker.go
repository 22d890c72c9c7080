package review

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// The bot's bookkeeping lives on GitHub, in hidden markers: one in the body
// of each living issue (State) and one in each comment it writes (Note).
// JSON keeps them extensible; encoding/json escapes '<' and '>', so a marker
// can never end its HTML comment early.
const (
	statePrefix = "<!-- ownerbot:living "
	notePrefix  = "<!-- ownerbot:note "
	markerEnd   = " -->"
)

// StaleReviewMarker marks the one reminder the bot writes on a pull request
// that waits too long on its owners.
const StaleReviewMarker = "<!-- ownerbot:stale-review -->"

// State is what a living issue's marker remembers.
type State struct {
	V int `json:"v"`
	Identity
	// Since starts the current episode: when it was opened or last
	// reopened. Reminders and escalations count from it.
	Since string `json:"since"`
	Items []Ref  `json:"items,omitempty"`
	Done  []Ref  `json:"done,omitempty"`
	// Dup, when set, says the issue duplicates issue Dup (two sweeps raced
	// to open it) and is closed for good.
	Dup int `json:"dup,omitempty"`
}

// A Ref is an item as a marker remembers it: enough to say, once it is
// gone, what was done and where to look for the evidence.
type Ref struct {
	Key      string `json:"k"`
	Text     string `json:"t"`
	Path     string `json:"p,omitempty"`
	PR       int    `json:"pr,omitempty"`
	First    string `json:"s"`           // the day it was first listed
	Evidence string `json:"e,omitempty"` // done items: how it was done
}

// A Note is the marker of a comment the bot wrote on a living issue.
type Note struct {
	Identity
	Episode string `json:"episode"` // the State.Since it belongs to
	What    string `json:"what"`
	N       int    `json:"n,omitempty"` // reminder number or escalation step, from 1
}

// What a note records.
const (
	Remind   = "remind"
	Escalate = "escalate"
	Closed   = "close"
	Reopened = "reopen"
)

// sinceLayout keeps episodes to the second: deterministic for a given now,
// and distinct for a close and a reopen on the same day.
const sinceLayout = time.RFC3339

// Marker renders the state as a hidden HTML comment.
func (s State) Marker() string { return marker(statePrefix, s) }

// Marker renders the note as a hidden HTML comment.
func (n Note) Marker() string { return marker(notePrefix, n) }

func marker(prefix string, v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		panic("review: marker: " + err.Error()) // plain structs always encode
	}
	return prefix + strings.TrimSuffix(buf.String(), "\n") + markerEnd
}

// ParseState finds the state marker in an issue body. ok is false when the
// body has none (not the bot's issue, or a person removed it).
func ParseState(body string) (s State, ok bool) {
	raw, ok := between(body, statePrefix)
	if !ok || json.Unmarshal([]byte(raw), &s) != nil || s.V != 1 || s.Kind == "" || s.Name == "" {
		return State{}, false
	}
	return s, true
}

// ParseNotes finds every note marker in a comment body.
func ParseNotes(body string) []Note {
	var out []Note
	for {
		i := strings.Index(body, notePrefix)
		if i < 0 {
			return out
		}
		body = body[i:]
		raw, ok := between(body, notePrefix)
		if !ok {
			return out
		}
		var n Note
		if json.Unmarshal([]byte(raw), &n) == nil && n.What != "" {
			out = append(out, n)
		}
		body = body[len(notePrefix)+len(raw):]
	}
}

func between(s, prefix string) (string, bool) {
	i := strings.Index(s, prefix)
	if i < 0 {
		return "", false
	}
	rest := s[i+len(prefix):]
	j := strings.Index(rest, markerEnd)
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}
