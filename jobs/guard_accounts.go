package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"costbot/aws"
	"costbot/models"
)

// The guard over more than one account (AWS_ACCOUNTS): each account is checked by a
// guard of its own, over that account's Lightsail and its own rows (it names its account
// in every Lightsail read and write of the store), so an instance is only ever stopped
// in the account it was measured in, even when another account has one of the same name. The accounts' guards share
// the notifier, the logger and the self-host detection of the guard that made them.

// AccountSource lists the accounts a job works on: *aws.AccountResolver.
type AccountSource interface {
	Resolve(ctx context.Context) ([]aws.Account, error)
}

// ErrAmbiguousInstance is a stop or start asked by name of an instance that more than
// one account has in the region.
var ErrAmbiguousInstance = errors.New("instances of this name are in more than one account: say which account")

// guardAccounts is a guard's part in checking several accounts: the parent's source of
// accounts and the guards it made, or an account guard's parent and account.
type guardAccounts struct {
	source      AccountSource
	concurrency int
	newOps      func(aws.Account) LightsailOps

	parent  *Guard
	account string

	mu   sync.Mutex
	subs map[string]*Guard // by account ID
}

// SetAccounts makes the guard check every account src resolves to, concurrency accounts
// at once, each through the LightsailOps newOps makes (nil: the SDK's Lightsail client
// with the account's credentials). Call it before the first check.
func (g *Guard) SetAccounts(src AccountSource, concurrency int, newOps func(aws.Account) LightsailOps) {
	if newOps == nil {
		newOps = func(a aws.Account) LightsailOps { return sdkLightsail{base: a.Config} }
	}
	g.multi.source, g.multi.concurrency, g.multi.newOps = src, max(concurrency, 1), newOps
}

// accountGuard is the guard of account a, made on first use and kept (its region
// failure runs and its instance locks last across checks).
func (g *Guard) accountGuard(a aws.Account) *Guard {
	g.multi.mu.Lock()
	defer g.multi.mu.Unlock()
	if s, ok := g.multi.subs[a.ID]; ok {
		return s
	}
	s := &Guard{cfg: g.cfg, ops: g.multi.newOps(a), clock: g.clock, heartbeat: g.heartbeat, self: g.self}
	s.store = g.store
	s.multi.parent, s.multi.account = g, a.ID
	if g.multi.subs == nil {
		g.multi.subs = map[string]*Guard{}
	}
	g.multi.subs[a.ID] = s
	return s
}

// eachAccount runs fn for every account the source resolves to, at most concurrency at
// once.
func (g *Guard) eachAccount(ctx context.Context, fn func(ctx context.Context, a aws.Account, sub *Guard)) error {
	accounts, err := g.multi.source.Resolve(ctx)
	if err != nil {
		return fmt.Errorf("lightsail guard: %w", err)
	}
	sem := make(chan struct{}, g.multi.concurrency)
	var wg sync.WaitGroup
	for _, a := range accounts {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			fn(ctx, a, g.accountGuard(a))
		})
	}
	wg.Wait()
	return nil
}

// checkAccounts checks every account's watched regions. An account none of whose
// regions could be listed (its role cannot be assumed, Lightsail is denied to it) is
// recorded with its problem; the others are checked as usual.
func (g *Guard) checkAccounts(ctx context.Context, now time.Time, stats *guardStats) []error {
	var mu sync.Mutex
	var errs []error
	err := g.eachAccount(ctx, func(ctx context.Context, a aws.Account, sub *Guard) {
		regionErrs := sub.checkRegions(ctx, now, stats)
		problem := ""
		if len(regionErrs) == len(g.cfg.LightsailRegions) && len(regionErrs) > 0 &&
			!slices.ContainsFunc(regionErrs, func(e error) bool { var l *regionListError; return !errors.As(e, &l) }) {
			problem = aws.AccountProblem(a, regionErrs[0])
		}
		if g.store != nil {
			if err := g.store.SetAccountProblem(context.WithoutCancel(ctx), a.ID, GuardJob, problem, now); err != nil {
				g.logger().Error("account problem not recorded", "account", a.ID, "err", err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if problem != "" {
			errs = append(errs, fmt.Errorf("account %s: %s", a.ID, problem))
			return
		}
		for _, e := range regionErrs {
			// Said with the account, and not folded into another account's same error.
			errs = append(errs, fmt.Errorf("account %s: %v", a.ID, e))
		}
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

// StopIn stops an instance of account for a person. account "" is the credentials' own
// account with AWS_ACCOUNTS empty, and otherwise the one account whose last check saw an
// instance of that name in region (ErrAmbiguousInstance when several did).
func (g *Guard) StopIn(ctx context.Context, account, region, name, actor string) error {
	return g.actIn(ctx, "stop", account, region, name, actor)
}

// StartIn starts an instance of account for a person, as StopIn.
func (g *Guard) StartIn(ctx context.Context, account, region, name, actor string) error {
	return g.actIn(ctx, "start", account, region, name, actor)
}

func (g *Guard) actIn(ctx context.Context, action, account, region, name, actor string) error {
	if g.multi.source == nil {
		return g.act(ctx, action, region, name, actor)
	}
	if account == "" {
		var err error
		if account, err = g.accountOf(ctx, region, name); err != nil {
			return err
		}
	}
	sub, err := g.guardOf(ctx, account)
	if err != nil {
		return err
	}
	return sub.act(ctx, action, region, name, actor)
}

// accountOf is the one account whose last check saw an instance name in region.
func (g *Guard) accountOf(ctx context.Context, region, name string) (string, error) {
	if g.store == nil {
		return "", errors.New("lightsail: a store is required to find an instance's account")
	}
	rows, err := g.store.LatestLightsailUsage(ctx)
	if err != nil {
		return "", err
	}
	var accounts []string
	for _, r := range rows {
		if r.Region == region && r.Instance == name && !slices.Contains(accounts, r.AccountID) {
			accounts = append(accounts, r.AccountID)
		}
	}
	switch len(accounts) {
	case 0:
		return "", fmt.Errorf("lightsail %s: %s: no account's last check saw it: %w", region, name, ErrNotWatched)
	case 1:
		return accounts[0], nil
	}
	return "", fmt.Errorf("lightsail %s: %s (accounts %s): %w", region, name, strings.Join(accounts, ", "), ErrAmbiguousInstance)
}

// guardOf is the guard of account, which must be one the source resolves to.
func (g *Guard) guardOf(ctx context.Context, account string) (*Guard, error) {
	g.multi.mu.Lock()
	sub, ok := g.multi.subs[account]
	g.multi.mu.Unlock()
	if ok {
		return sub, nil
	}
	accounts, err := g.multi.source.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("lightsail: %w", err)
	}
	for _, a := range accounts {
		if a.ID == account {
			return g.accountGuard(a), nil
		}
	}
	return nil, fmt.Errorf("lightsail: account %s is not one of AWS_ACCOUNTS: %w", account, ErrNotWatched)
}

// measureAccounts is Measure over every account.
func (g *Guard) measureAccounts(ctx context.Context) ([]models.LightsailTraffic, []RegionError) {
	var mu sync.Mutex
	var out []models.LightsailTraffic
	var failed []RegionError
	err := g.eachAccount(ctx, func(ctx context.Context, a aws.Account, sub *Guard) {
		ts, errs := sub.Measure(ctx)
		mu.Lock()
		defer mu.Unlock()
		out = append(out, ts...)
		for _, e := range errs {
			e.Account = a.ID
			failed = append(failed, e)
		}
	})
	if err != nil {
		failed = append(failed, RegionError{Region: "*", Err: err})
	}
	slices.SortStableFunc(out, func(a, b models.LightsailTraffic) int {
		return strings.Compare(a.AccountID+"/"+a.Region+"/"+a.Instance, b.AccountID+"/"+b.Region+"/"+b.Instance)
	})
	return out, failed
}
