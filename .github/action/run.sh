#!/usr/bin/env bash
# The check step of the GitHub Action in action.yml. It runs `ownerbot check`
# once on the checkout and, from that one evaluation, prints the text report
# to the job log, writes SARIF for code scanning and a Markdown summary for
# the job's page, and exits as ownerbot does: 0 nothing at or above fail-on,
# 1 something is, 2 the check could not run.
#
# It reads OWNERBOT (the binary: a path, or a name on the PATH), INPUT_PATH
# and INPUT_FAIL_ON from the action, and what the runner sets:
# GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
# GITHUB_TOKEN, GITHUB_API_URL and GITHUB_REPOSITORY reach ownerbot as they
# are: with a token it checks owners against GitHub.
set -uo pipefail

# annotate writes a workflow command; % and line breaks would end it early.
annotate() {
	local text=${2//'%'/'%25'}
	text=${text//$'\r'/'%0D'}
	text=${text//$'\n'/'%0A'}
	printf '::%s title=ownerbot::%s\n' "$1" "$text"
}

fail() {
	annotate error "$1"
	printf 'ownerbot check could not run: %s\n' "$1" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
	echo "exit-code=2" >>"${GITHUB_OUTPUT:-/dev/null}"
	exit 2
}

for v in OWNERBOT GITHUB_WORKSPACE RUNNER_TEMP GITHUB_OUTPUT GITHUB_STEP_SUMMARY; do
	[[ -n ${!v:-} ]] || fail "$v is not set; this script is the check step of action.yml"
done
path=${INPUT_PATH:-.}
fail_on=${INPUT_FAIL_ON:-error}
case $fail_on in
error | warning | never) ;;
*) fail "fail-on must be error, warning or never, not '$fail_on'" ;;
esac
cd "$GITHUB_WORKSPACE" || fail "cannot enter the workspace $GITHUB_WORKSPACE"
bin=$(command -v "$OWNERBOT") || fail "no ownerbot binary at $OWNERBOT"
[[ -d $path ]] || fail "path '$path' is not a directory of the workspace; did actions/checkout run first?"
checkout=$(cd "$path" && pwd -P)

sarif=$RUNNER_TEMP/ownerbot.sarif
summary=$RUNNER_TEMP/ownerbot-summary.md
notes=$RUNNER_TEMP/ownerbot-notes.txt
rm -f "$sarif" "$summary" "$notes"

# The report quotes the repository's files: while it prints, no line of it
# may be taken for a workflow command.
resume=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "::stop-commands::$resume"
"$bin" check --repo "$checkout" --fail-on "$fail_on" --format text \
	--write "sarif=$sarif" --write "markdown=$summary" 2>"$notes"
code=$?
echo "::$resume::"

# What ownerbot said on standard error: what it asked GitHub, what it could
# not check and why, or why it could not run.
level=notice
if ((code > 1)); then
	level=error
fi
while IFS= read -r line || [[ -n $line ]]; do
	annotate "$level" "${line#ownerbot check: }"
done <"$notes"

{
	echo "checkout-path=$checkout"
	echo "exit-code=$code"
	if ((code <= 1)) && [[ -s $sarif ]]; then
		echo "sarif-file=$sarif"
	fi
} >>"$GITHUB_OUTPUT"

{
	if ((code <= 1)) && [[ -s $summary ]]; then
		cat "$summary"
	else
		echo "### ownerbot"
		echo
		echo "ownerbot check could not run (exit code $code)."
	fi
	if [[ -s $notes ]]; then
		echo
		while IFS= read -r line || [[ -n $line ]]; do
			echo "- ${line#ownerbot check: }"
		done <"$notes"
	fi
} >>"$GITHUB_STEP_SUMMARY"

exit "$code"
