package jobs

import (
	"context"
	"slices"
	"time"

	"costbot/aws"
	"costbot/models"
)

// scope is what a scan task covers, and how it went in the accounts scanned: failed
// in every one of them, or failed in some (failedIn) while the others listed it.
type scope struct {
	models.TaskScope
	failed   bool
	failedIn []string // accounts the task failed in, when it did not fail in all
}

// taskScopes turns the scan's tasks into what each covers: a global task covers its
// service in every region its regional tasks (WAF has both) do not. The same task run
// in several accounts is one scope.
func taskScopes(tasks []aws.TaskResult) []scope {
	regional := map[string][]string{}
	for _, t := range tasks {
		if t.Region != models.GlobalRegion && !slices.Contains(regional[t.Service], t.Region) {
			regional[t.Service] = append(regional[t.Service], t.Region)
		}
	}
	var out []scope
	at := map[string]int{}
	runs := map[string]int{}
	for _, t := range tasks {
		k := t.Service + "/" + t.Region
		i, ok := at[k]
		if !ok {
			s := scope{TaskScope: models.TaskScope{Service: t.Service, Region: t.Region}}
			if t.Region == models.GlobalRegion {
				s.Except = regional[t.Service]
			}
			i = len(out)
			at[k] = i
			out = append(out, s)
		}
		runs[k]++
		if t.Err != nil {
			out[i].failedIn = append(out[i].failedIn, t.Account)
		}
	}
	for i := range out {
		if n := len(out[i].failedIn); n > 0 && n == runs[out[i].TaskScope.Service+"/"+out[i].Region] {
			out[i].failed, out[i].failedIn = true, nil
		}
	}
	return out
}

// scopeOf is the scope of the task that covers a resource of service in region.
func scopeOf(scopes []scope, service, region string) (scope, bool) {
	for _, s := range scopes {
		if s.Covers(service, region) {
			return s, true
		}
	}
	return scope{}, false
}

// carryAccounts adds to w, for each task that failed in some accounts only, those
// accounts' records of the last hour, estimated, as WriteHour does for a task that
// failed everywhere. It returns how many (account, task) pairs and records it carried.
func (c *Collector) carryAccounts(ctx context.Context, w *models.HourWrite, scopes []scope) (tasks, records int, err error) {
	for _, s := range scopes {
		for _, account := range s.failedIn {
			rs, err := c.store.CarryAccountRecords(ctx, account, s.TaskScope, w.Hour)
			if err != nil {
				return 0, 0, err
			}
			if len(rs) > 0 {
				tasks++
				records += len(rs)
				w.Records = append(w.Records, rs...)
			}
		}
	}
	return tasks, records, nil
}

// recordAccounts keeps the accounts the scan worked on in the store, each with how the
// collection went on it (its problem, "" when it went well). A failure here is logged:
// the hour's costs matter more than the record of who was scanned.
func (c *Collector) recordAccounts(ctx context.Context, scan *aws.ScanResult, now time.Time) {
	if len(scan.Accounts) == 0 {
		return
	}
	accounts := make([]models.Account, 0, len(scan.Accounts))
	for _, a := range scan.Accounts {
		if a.Account.ID != "" {
			accounts = append(accounts, a.Account.Model())
		}
	}
	if err := c.store.SaveAccounts(ctx, accounts); err != nil {
		c.log.Error("accounts not recorded", "err", err)
		return
	}
	for _, a := range scan.Accounts {
		if a.Account.ID == "" {
			continue
		}
		if err := c.store.SetAccountProblem(ctx, a.Account.ID, CollectJob, a.Problem, now); err != nil {
			c.log.Error("account problem not recorded", "account", a.Account.ID, "err", err)
		}
		if a.Problem != "" {
			c.log.Warn("account not collected", "account", a.Account.ID, "problem", a.Problem)
		}
	}
}
