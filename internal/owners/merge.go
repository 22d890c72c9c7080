package owners

import "slices"

// Merge combines the files that make one directory a unit — an OWNERS.yaml
// beside a Backstage descriptor or a prow OWNERS file — into one, in
// precedence order: each field comes from the first file that sets it, so
// an OWNERS.yaml can carry the review date and tier while the descriptor
// keeps naming the owner. Every file must have the same directory. The
// result remembers which file set each field (Where) and names the users
// and teams of every file (Handles), each with its own file.
func Merge(files ...*File) *File {
	if len(files) == 1 {
		return files[0]
	}
	first := files[0]
	m := &File{
		Path: first.Path, Dir: first.Dir, Source: first.Source, Version: first.Version,
		Sources: slices.Clone(files),
		Lines:   map[string]int{}, origin: map[string]string{},
	}
	// set records that the field key comes from f, unless an earlier file
	// already set it; it reports whether f's value is taken.
	set := func(f *File, key string, isSet bool) bool {
		if !isSet {
			return false
		}
		if _, taken := m.origin[key]; taken {
			return false
		}
		path, line := f.Where(key)
		m.origin[key], m.Lines[key] = path, line
		return true
	}
	for _, f := range files {
		if set(f, "owner", f.Owner != "") {
			m.Owner = f.Owner
		}
		if set(f, "approvers", len(f.Approvers) > 0) {
			m.Approvers = f.Approvers
		}
		if set(f, "inherit", f.Inherit != nil) {
			m.Inherit = f.Inherit
		}
		if set(f, "tier", f.Tier != 0) {
			m.Tier = f.Tier
		}
		if set(f, "lifecycle", f.Lifecycle != "") {
			m.Lifecycle = f.Lifecycle
		}
		if set(f, "contact", f.Contact != (Contact{})) {
			m.Contact = f.Contact
		}
		if set(f, "oncall", f.Oncall != (Oncall{})) {
			m.Oncall = f.Oncall
		}
		if set(f, "escalation", len(f.Escalation) > 0) {
			m.Escalation = f.Escalation
		}
		if set(f, "runbooks", len(f.Runbooks) > 0) {
			m.Runbooks = f.Runbooks
		}
		if set(f, "review.interval", f.Review.Interval.Days != 0) {
			m.Review.Interval = f.Review.Interval
		}
		if set(f, "review.last_reviewed", !f.Review.LastReviewed.IsZero()) {
			m.Review.LastReviewed = f.Review.LastReviewed
		}
		if _, ok := f.Lines["review"]; ok {
			set(f, "review", true)
		}
		if set(f, "agreements", len(f.Agreements) > 0) {
			m.Agreements = f.Agreements
		}
		// A handle counts where its field was taken from: an approver list
		// that a higher file replaced names nobody.
		for _, h := range f.Handles {
			if m.origin[handleKey(h.Field)] == f.Path {
				m.Handles = append(m.Handles, h)
			}
		}
	}
	// A field written without a value that counts (an owner that does not
	// map to GitHub) keeps its place, so a finding about it points there.
	for _, f := range files {
		for key, line := range f.Lines {
			if _, taken := m.origin[key]; !taken && line > 0 {
				path, _ := f.Where(key)
				m.origin[key], m.Lines[key] = path, line
			}
		}
	}
	return m
}

// handleKey is the field whose value names a handle: an escalation step's
// target belongs to the escalation list.
func handleKey(field string) string {
	if field == "escalation.to" {
		return "escalation"
	}
	return field
}

// Where returns where the first of keys that the file sets is written: the
// path of the file that set it (a merged file's fields come from several)
// and its line. With none set it returns the file's own path and line 1.
func (f *File) Where(keys ...string) (path string, line int) {
	for _, k := range keys {
		if l := f.Lines[k]; l > 0 {
			if p, ok := f.origin[k]; ok {
				return p, l
			}
			return f.Path, l
		}
	}
	return f.Path, 1
}
