package ghtest

// ClearFaults drops every fault not yet used up: GitHub is well again.
func (gh *GitHub) ClearFaults() {
	gh.mu.Lock()
	defer gh.mu.Unlock()
	gh.faults = nil
}
