package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/prcheck"
	"github.com/ownerbot/ownerbot/internal/settings"
	"github.com/ownerbot/ownerbot/internal/sweep"
)

// runSweep sweeps every installed repository once, as a CronJob does:
// living issues, stale reviews, pull requests without a check run.
func runSweep(ctx context.Context, stdio IO, build Build, args []string) error {
	fs := newFlags("sweep", "sweep [--repo OWNER/NAME] [--shard I/N] [--dry-run]   (App settings from OWNERBOT_* environment variables; see the README)", stdio.Stdout)
	repo := fs.String("repo", "", "sweep only this repository, OWNER/NAME")
	shardFlag := fs.String("shard", "0/1", "sweep shard I of N (0 ≤ I < N): N workers split the repositories with no overlap")
	dryRun := fs.Bool("dry-run", false, "print what would be opened, updated, closed and commented, and write nothing")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("sweep takes no arguments, got %q", rest[0])
	}
	shard, err := sweep.ParseShard(*shardFlag)
	if err != nil {
		return usagef("%s", err)
	}
	getenv := stdio.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	settings, err := settings.SweepFromEnv(getenv, os.ReadFile)
	if err != nil {
		return oneLine(err)
	}
	rt, err := newRuntime(settings, stdio, build, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	s := rt.sweeper(settings, shard, *dryRun, stdio)
	sum, err := s.Run(ctx, *repo)
	if err != nil {
		rt.log.Error().Err(err).Int("failed", sum.Failed).Msg("sweep finished with failures")
		return &exitError{ExitFindings}
	}
	return nil
}

// runtime is what serve and sweep share: the App, its clones and the
// pull-request checker.
type appRuntime struct {
	log     zerolog.Logger
	app     *ghapp.App
	clones  *ghapp.CloneCache
	checker *prcheck.Checker
}

func newRuntime(settings settings.Server, stdio IO, build Build, registry prometheus.Registerer) (*appRuntime, error) {
	level, _ := zerolog.ParseLevel(settings.LogLevel)
	log := zerolog.New(stdio.Stderr).Level(level).With().Timestamp().Str("service", "ownerbot").Logger()
	app, err := ghapp.New(ghapp.Config{
		AppID: settings.AppID, PrivateKey: settings.PrivateKey, APIURL: settings.APIURL,
		Logger: log, UserAgent: "ownerbot/" + build.Version, Registerer: registry,
		WriteInterval: settings.WriteInterval, ContentInterval: settings.ContentInterval, ContentBurst: settings.ContentBurst,
	})
	if err != nil {
		return nil, err
	}
	clones, err := ghapp.NewCloneCache(settings.CacheDir, settings.CacheMaxBytes, log)
	if err != nil {
		return nil, err
	}
	checker := prcheck.New(prcheck.Config{Client: app.Client, Token: app.Token, Clones: clones, AppID: settings.AppID})
	return &appRuntime{log: log, app: app, clones: clones, checker: checker}, nil
}

func (rt *appRuntime) sweeper(settings settings.Server, shard sweep.Shard, dryRun bool, stdio IO) *sweep.Sweeper {
	return sweep.New(sweep.Config{
		App: rt.app, Clones: rt.clones, Checker: rt.checker, Logger: rt.log, AppID: settings.AppID,
		Shard: shard, Forks: settings.SweepForks, DryRun: dryRun, Out: stdio.Stdout, Concurrency: settings.SweepConcurrency,
	})
}

// schedule runs sweep at each time the cron expression names, in loc,
// until ctx ends. Sweeps run one after another: one still running when the
// next is due delays that one, never doubles it up. now and after are the
// clock (time.Now and time.After outside tests).
func schedule(ctx context.Context, expr string, loc *time.Location, now func() time.Time,
	after func(time.Duration) <-chan time.Time, log zerolog.Logger, run func(context.Context)) error {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return fmt.Errorf("OWNERBOT_SWEEP_SCHEDULE: %w", err)
	}
	for ctx.Err() == nil {
		next := sched.Next(now().In(loc))
		if next.IsZero() {
			return errors.New("OWNERBOT_SWEEP_SCHEDULE never fires")
		}
		log.Info().Time("next", next).Msg("next scheduled sweep")
		select {
		case <-ctx.Done():
			return nil
		case <-after(next.Sub(now())):
		}
		run(ctx)
	}
	return nil
}
