package aws

import (
	"context"
	"slices"
	"sync"
	"time"
)

// AccountScan is one account's part of a scan of several.
type AccountScan struct {
	Account Account
	// Err is why the account could not be scanned at all (its role cannot be assumed,
	// its credentials are refused); its tasks are then all failed in the merged result.
	Err error
	// Problem is Err, or every task failing, in one line for /status and the views.
	Problem   string
	Resources int
}

// MultiScanner scans every account AWS_ACCOUNTS resolves to: AccountConcurrency
// accounts at once, each with Scanner's own bound (SCAN_CONCURRENCY) on its tasks. An
// account that fails is reported in its AccountScan and its tasks; the others complete.
// With only the credentials' own account it is Scanner.Scan, unchanged.
type MultiScanner struct {
	Resolver           *AccountResolver
	Scanner            Scanner // the template: regions, services, bounds; Base is each account's
	AccountConcurrency int
}

// Scan scans every account.
func (m *MultiScanner) Scan(ctx context.Context) (*ScanResult, error) { return m.scan(ctx, false) }

// ScanMonthSoFar is Scanner.ScanMonthSoFar over every account.
func (m *MultiScanner) ScanMonthSoFar(ctx context.Context) (*ScanResult, error) {
	return m.scan(ctx, true)
}

func (m *MultiScanner) scanOne(ctx context.Context, cfg Account, monthSoFar bool) (*ScanResult, error) {
	s := m.Scanner
	s.Base = cfg.Config
	s.monthSoFar = monthSoFar
	return s.Scan(ctx)
}

func (m *MultiScanner) scan(ctx context.Context, monthSoFar bool) (*ScanResult, error) {
	now := time.Now
	if m.Scanner.Now != nil {
		now = m.Scanner.Now
	}
	start := now()
	accounts, err := m.Resolver.Resolve(ctx)
	if err != nil {
		return nil, err
	}
	if m.Resolver.Single() {
		res, err := m.scanOne(ctx, accounts[0], monthSoFar)
		if err != nil {
			return nil, err
		}
		a := accounts[0]
		a.ID = res.Account
		res.Accounts = []AccountScan{{Account: a, Resources: len(res.Resources), Problem: allFailed(res)}}
		return res, nil
	}

	parts := make([]*ScanResult, len(accounts))
	scans := make([]AccountScan, len(accounts))
	sem := make(chan struct{}, max(m.AccountConcurrency, 1))
	var wg sync.WaitGroup
	for i, a := range accounts {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				scans[i] = AccountScan{Account: a, Err: ctx.Err(), Problem: AccountProblem(a, ctx.Err())}
				return
			}
			defer func() { <-sem }()
			res, err := m.scanOne(ctx, a, monthSoFar)
			if err != nil {
				scans[i] = AccountScan{Account: a, Err: err, Problem: AccountProblem(a, err)}
				return
			}
			if a.ID == "" {
				a.ID = res.Account
			}
			parts[i] = res
			scans[i] = AccountScan{Account: a, Resources: len(res.Resources), Problem: allFailed(res)}
		})
	}
	wg.Wait()

	out := &ScanResult{ScannedAt: start.UTC(), Regions: slices.Clone(m.Scanner.Regions), Accounts: scans, PerAccount: true}
	for i, res := range parts {
		if res == nil { // the whole account failed: every task it would have run failed
			sc := scans[i]
			for _, t := range m.Scanner.plan() {
				out.Tasks = append(out.Tasks, TaskResult{Account: sc.Account.ID, Service: t.c.Name(), Region: t.region, Err: sc.Err})
			}
			out.Errors = append(out.Errors, TaskError{Account: sc.Account.ID, Service: "*", Region: "*", Error: sc.Problem})
			continue
		}
		out.Resources = append(out.Resources, res.Resources...)
		out.Tasks = append(out.Tasks, res.Tasks...)
		for _, e := range res.Errors {
			e.Account = res.Account
			out.Errors = append(out.Errors, e)
		}
	}
	sortResources(out.Resources)
	out.Duration = now().Sub(start)
	return out, nil
}

// allFailed is the account's problem when every task of its scan failed (its role
// lacks the read-only policy, say): the first task's error; "" otherwise.
func allFailed(res *ScanResult) string {
	if len(res.Tasks) == 0 || len(res.Errors) == 0 {
		return ""
	}
	for _, t := range res.Tasks {
		if t.Err == nil {
			return ""
		}
	}
	return "every scan task failed: " + res.Errors[0].Error
}
