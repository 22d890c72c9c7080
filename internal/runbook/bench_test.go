package runbook

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// realistic is a runbook as teams write them: front matter for ownerbot and
// a docs generator, headings, steps with commands, a table and links.
const realistic = `---
title: Postgres failover
owner: "@acme/payments"
last_reviewed: "2026-09-14"
review_interval: 90d
tags: [postgres, failover, tier-1]
---
# Postgres failover

> **When to use:** the primary is unreachable for more than 2 minutes, or
> [the replication dashboard](https://grafana.acme.example/d/pg) shows lag above 30s.

## Before you start

- You are on call for [payments](../OWNERS.yaml) and have read [the DB RACI](../../../docs/db-raci.md#responsibilities).
- Open an incident: see [incident process](../../../docs/incidents.md#open-an-incident).
- Check the [architecture diagram](img/architecture.png "Architecture").

## Steps

1. Confirm the primary is down:

   ` + "```bash" + `
   pg_isready -h pg-primary.payments.internal -p 5432
   # [not a link](in-code.md)
   ` + "```" + `

2. Promote the replica with ` + "`pg_ctl promote`" + ` — see [promotion](#promote-the-replica).
3. Update the service record: ` + "`kubectl -n payments apply -f dns.yaml`" + `.

### Promote the replica

| Step | Command | Owner |
|------|---------|-------|
| 1 | ` + "`pg_ctl promote -D /var/lib/postgresql`" + ` | on-call |
| 2 | [verify writes](../scripts/verify.sh) | on-call |
| 3 | [notify](mailto:payments@acme.example) | incident lead |

## Rollback

If promotion fails, follow [the restore runbook][restore] and escalate to
[@acme/platform-db](https://github.com/orgs/acme/teams/platform-db).

<!-- TODO: link the chaos test results [here](chaos.md) -->

## FAQ

**Why not automatic failover?** See [design notes](../../../docs/design.md#why-manual).

[restore]: restore.md#steps
`

func BenchmarkParse(b *testing.B) {
	data := []byte(realistic)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, problems := Parse("services/payments/runbooks/failover.md", data); len(problems) > 0 {
			b.Fatal(problems)
		}
	}
}

// BenchmarkLinks checks 1,000 runbooks that link to each other's headings,
// with a fresh checker each time so reading the targets counts.
func BenchmarkLinks(b *testing.B) {
	const n = 1000
	fsys := fstest.MapFS{}
	var paths []string
	for i := range n {
		var sb strings.Builder
		fmt.Fprintf(&sb, "---\nlast_reviewed: \"2026-01-01\"\n---\n# Runbook %d\n\n## Steps\n\n", i)
		for j := 1; j <= 5; j++ {
			k := (i + j*37) % n
			fmt.Fprintf(&sb, "- See [runbook %d](../team%d/rb%d.md#runbook-%d) and [its steps](../team%d/rb%d.md#steps).\n", k, k%50, k, k, k%50, k)
		}
		sb.WriteString("- Back to [the top](#runbook-" + fmt.Sprint(i) + "), [a missing one](missing.md), [a bad anchor](#nope).\n\n## Rollback\n\nText.\n")
		p := fmt.Sprintf("runbooks/team%d/rb%d.md", i%50, i)
		fsys[p] = &fstest.MapFile{Data: []byte(sb.String())}
		paths = append(paths, p)
	}
	runbooks := make([]*Runbook, n)
	for i, p := range paths {
		r, problems := Parse(p, fsys[p].Data)
		if len(problems) > 0 {
			b.Fatal(problems)
		}
		runbooks[i] = r
	}
	b.ReportAllocs()
	for b.Loop() {
		checker := NewLinkChecker(fsys, paths)
		broken := 0
		for _, r := range runbooks {
			links, err := checker.BrokenLinks(r)
			if err != nil {
				b.Fatal(err)
			}
			broken += len(links)
		}
		if broken != 2*n {
			b.Fatalf("%d broken links, want %d", broken, 2*n)
		}
	}
}
