// Package policy holds the rule catalogue and evaluates a repository tree
// into findings: what is wrong with its ownership, where, and how to fix it.
package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ownerbot/ownerbot/internal/config"
)

// Severity orders findings; a check fails on those at or above a threshold.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "info", "warning" or "error".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "info":
		return Info, nil
	case "warning":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want info, warning or error)", s)
}

// Practice is the OPS02 best practice a rule serves.
type Practice string

// The OPS02 practices of the AWS Well-Architected Framework that the rules
// serve.
const (
	ResourceOwners   Practice = "OPS02-BP01 Resources have identified owners"
	ProcessOwners    Practice = "OPS02-BP02 Processes and procedures have identified owners"
	ActivityOwners   Practice = "OPS02-BP03 Operations activities have identified owners responsible for their performance"
	Mechanisms       Practice = "OPS02-BP04 Mechanisms exist to manage responsibilities and ownership"
	RequestChanges   Practice = "OPS02-BP05 Mechanisms exist to request additions, changes, and exceptions"
	Responsibilities Practice = "OPS02-BP06 Responsibilities between teams are predefined or negotiated"
)

// A Rule is an entry of the catalogue. Its ID is stable: configuration,
// exceptions and users' scripts refer to it.
type Rule struct {
	ID       string
	Severity Severity // default severity
	Title    string   // what the rule finds, one line
	Remedy   string   // the usual fix, one line
	Practice Practice
	// NeedsGitHub marks rules that can only be checked with GitHub's API;
	// local runs list them as skipped.
	NeedsGitHub bool
}

// The rule ids, as constants so a typo is a compile error.
const (
	CodeownersMissing      = "codeowners.missing"
	CodeownersMultiple     = "codeowners.multiple"
	CodeownersTooLarge     = "codeowners.too_large"
	CodeownersSyntax       = "codeowners.syntax"
	CodeownersInvalidOwner = "codeowners.invalid_owner"
	CodeownersUnknownOwner = "codeowners.unknown_owner"
	CodeownersNoMatch      = "codeowners.no_match"
	CodeownersShadowed     = "codeowners.shadowed"
	CodeownersDuplicate    = "codeowners.duplicate"
	CodeownersTooExpensive = "codeowners.too_expensive"
	CodeownersUnowned      = "codeowners.unowned"
	CodeownersDrift        = "codeowners.drift"
	OwnersMissingRoot      = "owners.missing_root"
	OwnersSchema           = "owners.schema"
	OwnersUnresolvable     = "owners.unresolvable"
	OwnersMismatch         = "owners.codeowners_mismatch"
	OwnersSingleApprover   = "owners.single_approver"
	OwnersReviewOverdue    = "owners.review_overdue"
	RunbookMissing         = "runbook.missing"
	RunbookInvalid         = "runbook.invalid"
	RunbookOverdue         = "runbook.overdue"
	RunbookBrokenLink      = "runbook.broken_link"
	ExceptionInvalid       = "exception.invalid"
	ExceptionTooLong       = "exception.too_long"
	ExceptionUnapproved    = "exception.unapproved"
	ExceptionExpiring      = "exception.expiring"
	TransferUnapproved     = "transfer.unapproved"
	ReviewStalePR          = "review.stale_pr"
	ConfigInvalid          = "config.invalid"
	LinkOutsideRepository  = "link.outside_repository"
)

// catalogue is the rule catalogue, in the order people read it.
var catalogue = [...]Rule{
	{CodeownersMissing, Error, "no CODEOWNERS file", "add .github/CODEOWNERS with a default owner line such as `* @org/team`", ResourceOwners, false},
	{CodeownersMultiple, Warning, "more than one CODEOWNERS location is present", "keep only the file GitHub reads (.github/CODEOWNERS first, then CODEOWNERS, then docs/CODEOWNERS) and delete the others", ResourceOwners, false},
	{CodeownersTooLarge, Error, "CODEOWNERS is 3 MiB or more, so GitHub ignores it", "shorten it: own directories instead of single files", ResourceOwners, false},
	{CodeownersSyntax, Error, "a CODEOWNERS line GitHub skips", "fix the pattern so GitHub applies the line", ResourceOwners, false},
	{CodeownersInvalidOwner, Error, "a malformed owner, so GitHub skips the line", "write owners as @user, @org/team or an e-mail address", ResourceOwners, false},
	{CodeownersUnknownOwner, Error, "an owner that does not exist, left the organization, or lacks write access", "replace the owner, or give the team write access to the repository", ResourceOwners, true},
	{CodeownersNoMatch, Warning, "a pattern matches no file", "fix the pattern or delete the line", Mechanisms, false},
	{CodeownersShadowed, Warning, "a line never decides ownership: later lines win everywhere it matches", "delete the line, or move it below the lines that override it", Mechanisms, false},
	{CodeownersDuplicate, Warning, "the same pattern appears twice", "merge the two lines into one", Mechanisms, false},
	// An error, so that a pull request cannot make CODEOWNERS too expensive
	// to evaluate and so slip an ownership move past its approvals.
	{CodeownersTooExpensive, Error, "CODEOWNERS is too expensive to evaluate within ownerbot's work budget", "write patterns that name a directory, a file name or an extension instead of many `*` between letters", ResourceOwners, false},
	{CodeownersUnowned, Warning, "files that no CODEOWNERS line owns", "add a line that gives these files an owner, or a default `*` line", ResourceOwners, false},
	{CodeownersDrift, Error, "CODEOWNERS differs from what OWNERS.yaml generates", "run `ownerbot codeowners generate` and commit the result", Mechanisms, false},
	{OwnersMissingRoot, Error, "the repository has units but none at its root", "add OWNERS.yaml at the root naming the accountable owner (`ownerbot init` writes one)", ResourceOwners, false},
	{OwnersSchema, Error, "an ownership file (OWNERS.yaml, a Backstage descriptor, prow OWNERS or OWNERS_ALIASES) does not parse or validate, or names an owner that is no GitHub owner", "fix the file as the message says", ResourceOwners, false},
	{OwnersUnresolvable, Error, "an owner or approver that does not exist or lacks write access", "name an existing team or user with write access", ResourceOwners, true},
	{OwnersMismatch, Warning, "the unit's owner is not a CODEOWNERS owner of its files", "make CODEOWNERS and OWNERS.yaml agree, or generate CODEOWNERS", Mechanisms, false},
	{OwnersSingleApprover, Warning, "a tier-1 unit has fewer than two people who can approve", "add a second approver", Responsibilities, false},
	{OwnersReviewOverdue, Warning, "the unit's ownership review is overdue", "review OWNERS.yaml and update review.last_reviewed", Mechanisms, false},
	{RunbookMissing, Error, "a production tier-1 or tier-2 unit has no runbook", "add a runbook and list it under runbooks in OWNERS.yaml", ProcessOwners, false},
	{RunbookInvalid, Warning, "runbook front matter is missing or invalid", "add front matter with owner and last_reviewed", ProcessOwners, false},
	{RunbookOverdue, Warning, "a runbook's review is overdue", "review the runbook and update last_reviewed", ProcessOwners, false},
	{RunbookBrokenLink, Warning, "a relative link or anchor in a runbook does not resolve", "fix or remove the link", ProcessOwners, false},
	{ExceptionInvalid, Error, "an exception entry is invalid", "fix the entry as the message says", RequestChanges, false},
	{ExceptionTooLong, Error, "an exception expires later than allowed", "shorten the expiry", RequestChanges, false},
	{ExceptionUnapproved, Error, "an exception was merged without an eligible approval, so it has no effect", "have an eligible approver approve a pull request that ratifies the entry", RequestChanges, true},
	{ExceptionExpiring, Info, "an exception expires within 14 days", "fix the finding it waives, or renew the exception through a pull request", RequestChanges, false},
	{TransferUnapproved, Error, "ownership moves between teams without both teams' approval", "get an approving review from both the old and the new owning team", Responsibilities, true},
	{ReviewStalePR, Warning, "a pull request has waited on its owners' review longer than the SLA", "review the pull request or reassign it", ActivityOwners, true},
	// Not in DESIGN §3: the bot's own configuration is input people write
	// too, and its mistakes deserve a finding like any other.
	{ConfigInvalid, Error, "the bot configuration (.github/ownerbot.yaml, or an organization's ownerbot.yaml) does not parse or validate, or changes a setting the organization locked", "fix the file as the message says; a locked setting is changed in the organization's .github repository", Mechanisms, false},
	// Not in DESIGN §3 either (§11: a path that leaves the repository is
	// never read, and is a finding): ownerbot does not follow such a link,
	// so whatever the file should say is not evaluated.
	{LinkOutsideRepository, Error, "a symbolic link leads outside the repository (or loops), so ownerbot does not follow it", "replace the link with the file itself, committed in the repository, or delete it", Mechanisms, false},
}

// Rules returns the catalogue, in the order people read it.
func Rules() []Rule { return slices.Clone(catalogue[:]) }

// IDs returns every rule id, in the catalogue's order.
func IDs() []string {
	ids := make([]string, len(catalogue))
	for i, r := range catalogue {
		ids[i] = r.ID
	}
	return ids
}

// ConfigOptions are what reading a configuration needs of the catalogue:
// its ids, so a near miss is answered with "did you mean".
func ConfigOptions() config.Option { return config.SuggestRules(IDs()) }

// Lookup returns the catalogue entry for id.
func Lookup(id string) (Rule, bool) {
	for _, r := range catalogue {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
