package ghtest

// routes registers the endpoints. The patterns name GitHub's path
// parameters so they read like the REST description.
func (gh *GitHub) routes() {
	m := gh.api
	m.HandleFunc("GET /app", gh.getApp)
	m.HandleFunc("GET /app/installations", gh.listInstallations)
	m.HandleFunc("POST /app/installations/{installation_id}/access_tokens", gh.createToken)
	m.HandleFunc("GET /installation/repositories", gh.installationRepos)
	m.HandleFunc("GET /rate_limit", gh.rateLimit)

	m.HandleFunc("GET /repos/{owner}/{repo}", gh.getRepo)
	m.HandleFunc("PATCH /repos/{owner}/{repo}", gh.updateRepo)
	m.HandleFunc("GET /repos/{owner}/{repo}/installation", gh.repoInstallation)
	m.HandleFunc("GET /repos/{owner}/{repo}/codeowners/errors", gh.codeownersErrors)
	m.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", gh.getContent)
	m.HandleFunc("GET /repos/{owner}/{repo}/commits", gh.listCommits)
	m.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}", gh.getCommit)
	m.HandleFunc("GET /repos/{owner}/{repo}/compare/{basehead...}", gh.compare)
	m.HandleFunc("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", gh.getTree)
	m.HandleFunc("GET /repos/{owner}/{repo}/collaborators/{username}/permission", gh.collaboratorPermission)

	m.HandleFunc("GET /repos/{owner}/{repo}/pulls", gh.listPulls)
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{pull_number}", gh.getPull)
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", gh.listPullFiles)
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", gh.listReviews)
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", gh.listPullCommits)
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", gh.listRequestedReviewers)
	m.HandleFunc("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", gh.requestReviewers)

	m.HandleFunc("POST /repos/{owner}/{repo}/issues", gh.createIssue)
	m.HandleFunc("GET /repos/{owner}/{repo}/issues", gh.listIssues)
	m.HandleFunc("GET /repos/{owner}/{repo}/issues/{issue_number}", gh.getIssue)
	m.HandleFunc("PATCH /repos/{owner}/{repo}/issues/{issue_number}", gh.updateIssue)
	m.HandleFunc("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", gh.listComments)
	m.HandleFunc("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", gh.createComment)
	m.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", gh.updateComment)
	m.HandleFunc("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", gh.addLabels)
	m.HandleFunc("POST /repos/{owner}/{repo}/issues/{issue_number}/assignees", gh.addAssignees)
	m.HandleFunc("POST /repos/{owner}/{repo}/labels", gh.createLabel)
	m.HandleFunc("GET /repos/{owner}/{repo}/labels/{name}", gh.getLabel)
	m.HandleFunc("DELETE /repos/{owner}/{repo}/labels/{name}", gh.deleteLabel)
	m.HandleFunc("GET /repos/{owner}/{repo}/issues/{issue_number}/reactions", gh.listReactions)
	m.HandleFunc("POST /repos/{owner}/{repo}/issues/{issue_number}/reactions", gh.createReaction)
	m.HandleFunc("DELETE /repos/{owner}/{repo}/issues/{issue_number}/reactions/{reaction_id}", gh.deleteReaction)
	m.HandleFunc("GET /search/issues", gh.searchIssues)

	m.HandleFunc("POST /repos/{owner}/{repo}/check-runs", gh.createCheckRun)
	m.HandleFunc("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", gh.updateCheckRun)
	m.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", gh.listCheckRuns)

	m.HandleFunc("GET /orgs/{org}/teams/{team_slug}", gh.getTeam)
	m.HandleFunc("GET /orgs/{org}/teams/{team_slug}/members", gh.listTeamMembers)
	m.HandleFunc("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", gh.teamMembership)
	m.HandleFunc("GET /orgs/{org}/memberships/{username}", gh.orgMembership)
	m.HandleFunc("GET /orgs/{org}/members/{username}", gh.checkOrgMember)
	m.HandleFunc("GET /users/{username}", gh.getUser)
}
