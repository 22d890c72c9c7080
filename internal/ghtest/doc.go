// Package ghtest fakes GitHub for tests: a stateful REST API that the real
// go-github client talks to, a git smart-HTTP server over fixture repositories,
// and a webhook signer.
//
// The fake checks every request against GitHub's own REST description
// (../shared/github/openapi-subset.json next to the repository), so a test
// fails when the bot sends something GitHub would reject. It is a normal
// package so that tests of several packages can share it; production code
// must not import it.
//
// Scope, kept deliberately small:
//   - Contents, commits, compare and trees are served from the fixture git
//     repository (through the git CLI) when one was created with
//     GitServer.CreateRepo; GitHub.SetFile registers content for the contents
//     endpoint when a test needs no git history.
//   - Numbers are shared between issues and pull requests, as on GitHub.
//   - Rate limits are counted per installation and never run out by
//     themselves: use Fail with a rate-limit Fault to simulate that.
package ghtest
