package webhook

// actionOther is the action label of every action not in knownAction.
const actionOther = "other"

// actionLabel is the value of the deliveries counter's action label. The
// payload's action is the sender's text (a 1 MiB action once grew /metrics
// to 1 MB), so only the documented actions of the events the App receives
// become labels; any other non-empty action is "other".
func actionLabel(event, action string) string {
	if action == "" || knownAction(event, action) {
		return action
	}
	return actionOther
}

// knownAction reports whether action is one GitHub documents for event,
// among the events the App subscribes to (deploy/app.yml) and those every
// App receives. TestActionLabelsAreGitHubs checks the list against
// GitHub's webhook description.
func knownAction(event, action string) bool {
	switch event {
	case "pull_request":
		switch action {
		case "assigned", "auto_merge_disabled", "auto_merge_enabled", "closed", "converted_to_draft",
			"demilestoned", "dequeued", "edited", "enqueued", "labeled", "locked", "milestoned", "opened",
			"ready_for_review", "reopened", "review_request_removed", "review_requested", "synchronize",
			"unassigned", "unlabeled", "unlocked":
			return true
		}
	case "pull_request_review":
		switch action {
		case "dismissed", "edited", "submitted":
			return true
		}
	case "check_run":
		switch action {
		case "completed", "created", "requested_action", "rerequested":
			return true
		}
	case "check_suite":
		switch action {
		case "completed", "requested", "rerequested":
			return true
		}
	case "installation":
		switch action {
		case "created", "deleted", "new_permissions_accepted", "suspend", "unsuspend":
			return true
		}
	case "installation_repositories":
		switch action {
		case "added", "removed":
			return true
		}
	}
	return false
}
