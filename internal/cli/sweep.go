package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/ownerbot/ownerbot/internal/ghapp"
	"github.com/ownerbot/ownerbot/internal/orgconfig"
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
	registry := prometheus.NewRegistry()
	rt, err := newRuntime(settings, stdio, build, registry)
	if err != nil {
		return err
	}
	// Each run is a new process: the conditional-request caches of the
	// last run of this shard make its reads 304s where nothing changed.
	etags := filepath.Join(settings.CacheDir, fmt.Sprintf("etags-shard-%d-of-%d.gob", shard.Index, shard.Count))
	rt.loadETags(etags)
	s := rt.sweeper(settings, shard, *dryRun, stdio)
	sum, err := s.Run(ctx, *repo)
	rt.saveETags(etags)
	if settings.PushgatewayURL != "" {
		rt.pushMetrics(ctx, settings.PushgatewayURL, registry, shard, *repo != "" || *dryRun)
	}
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
	orgs    *orgconfig.Cache
	sweeps  *sweep.Metrics
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
	// One reading of each organization's ownerbot.yaml serves pull
	// requests and sweeps alike.
	orgs := orgconfig.New(0, nil)
	evaluations, err := prcheck.NewMetrics(registry)
	if err != nil {
		return nil, err
	}
	sweeps, err := sweep.NewMetrics(registry, evaluations)
	if err != nil {
		return nil, err
	}
	checker := prcheck.New(prcheck.Config{Client: app.Client, Token: app.Token, Clones: clones, AppID: settings.AppID, Identity: app.Identity, OrgConfig: orgs, Metrics: evaluations})
	return &appRuntime{log: log, app: app, clones: clones, checker: checker, orgs: orgs, sweeps: sweeps}, nil
}

// loadETags reads the conditional-request caches a previous process saved
// at path. Without them (the first run, or a file from another version or
// GitHub) the process starts with empty caches, which costs rate limit but
// nothing else.
func (rt *appRuntime) loadETags(path string) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		defer f.Close()
		err = rt.app.LoadETags(bufio.NewReader(f))
	}
	if err != nil {
		rt.log.Warn().Err(err).Str("file", path).Msg("starting with empty conditional-request caches")
	}
}

// saveETags writes the caches to path for the next process: to a private
// temporary file first, so a crash never leaves half a file behind.
func (rt *appRuntime) saveETags(path string) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".etags-*")
	if err == nil {
		w := bufio.NewWriter(tmp)
		err = errors.Join(rt.app.SaveETags(w), w.Flush(), tmp.Close())
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		rt.log.Warn().Err(err).Str("file", path).Msg("could not save the conditional-request caches")
	}
}

func (rt *appRuntime) sweeper(settings settings.Server, shard sweep.Shard, dryRun bool, stdio IO) *sweep.Sweeper {
	return sweep.New(sweep.Config{
		App: rt.app, Clones: rt.clones, Checker: rt.checker, Logger: rt.log, AppID: settings.AppID, OrgConfig: rt.orgs, Metrics: rt.sweeps,
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

// pushMetrics hands a sweep's metrics to a Prometheus Pushgateway at addr,
// as job "ownerbot_sweep" grouped by shard: a CronJob's pod is gone before
// Prometheus would scrape it. Only a sweep of the whole shard is pushed
// (partial says it was not): a dry run or one repository would replace the
// shard's gauges with part of them. The push adds to the group (POST), so
// a failed sweep, which has no last success of its own, leaves the one its
// predecessor pushed. A failed push is a warning: the sweep's work is done.
func (rt *appRuntime) pushMetrics(ctx context.Context, addr string, metrics prometheus.Gatherer, shard sweep.Shard, partial bool) {
	if partial {
		rt.log.Info().Msg("metrics not pushed: only a sweep of the whole shard is")
		return
	}
	// Credentials in the address go in a header, so that no error quotes
	// them.
	u, err := url.Parse(addr)
	if err != nil {
		rt.log.Warn().Msg("metrics not pushed: OWNERBOT_PUSHGATEWAY_URL is not a URL")
		return
	}
	user := u.User
	u.User = nil
	pusher := push.New(u.String(), "ownerbot_sweep").Gatherer(metrics).Grouping("shard", shard.String())
	if user != nil {
		password, _ := user.Password()
		pusher = pusher.BasicAuth(user.Username(), password)
	}
	// A sweep stopped by SIGTERM still reports what it did, briefly.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := pusher.AddContext(ctx); err != nil {
		rt.log.Warn().Err(err).Str("pushgateway", u.String()).Msg("could not push the sweep's metrics; the sweep itself is done")
		return
	}
	rt.log.Info().Str("pushgateway", u.String()).Str("shard", shard.String()).Msg("metrics pushed")
}
