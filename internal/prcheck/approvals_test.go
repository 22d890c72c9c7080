package prcheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
)

func review(login, state, commit string) *github.PullRequestReview {
	return &github.PullRequestReview{User: &github.User{Login: github.String(login)}, State: github.String(state), CommitID: github.String(commit)}
}

func TestApprovers(t *testing.T) {
	const head, old = "h", "o"
	tests := []struct {
		name    string
		reviews []*github.PullRequestReview
		want    []string
	}{
		{"none", nil, nil},
		{"approved on head", []*github.PullRequestReview{review("Alice", "APPROVED", head)}, []string{"alice"}},
		{"approved an earlier commit", []*github.PullRequestReview{review("alice", "APPROVED", old)}, nil},
		{"the author approving counts for nothing", []*github.PullRequestReview{review("Bob", "APPROVED", head)}, nil},
		{"a comment after approving keeps the approval", []*github.PullRequestReview{review("alice", "APPROVED", head), review("alice", "COMMENTED", head)}, []string{"alice"}},
		{"changes requested after approving withdraws it", []*github.PullRequestReview{review("alice", "APPROVED", head), review("alice", "CHANGES_REQUESTED", head)}, nil},
		{"dismissed", []*github.PullRequestReview{review("alice", "APPROVED", head), review("alice", "DISMISSED", head)}, nil},
		{"approving again on head after an old approval", []*github.PullRequestReview{review("alice", "APPROVED", old), review("alice", "APPROVED", head)}, []string{"alice"}},
		{"pending reviews are nobody's", []*github.PullRequestReview{review("carol", "PENDING", head)}, nil},
		{"several", []*github.PullRequestReview{review("dave", "APPROVED", head), review("carol", "APPROVED", head)}, []string{"carol", "dave"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, approvers(tt.reviews, head, "bob")); diff != "" {
				t.Errorf("approvers (-want +got):\n%s", diff)
			}
		})
	}
}
