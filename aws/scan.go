package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"costbot/models"
)

// Scanner runs every collector in every region it applies to.
type Scanner struct {
	Base        awssdk.Config // never mutated: each task gets its own copy
	Regions     []string
	Services    []string
	Concurrency int
	TaskTimeout time.Duration
	Now         func() time.Time
	// Collectors overrides the registry (tests); nil means Collectors(Services).
	Collectors []Collector
	// monthSoFar makes each task also read its flow meters' usage from the first of the
	// month (ScanMonthSoFar).
	monthSoFar bool
}

// ScanMonthSoFar is Scan that also reads, for each resource whose usage is priced on
// month-to-date totals, its usage from the first of the month to the hour priced
// (models.MonthSoFarPrefix): what costbot needs once when it has no totals of its own.
func (s *Scanner) ScanMonthSoFar(ctx context.Context) (*ScanResult, error) {
	c := *s
	c.monthSoFar = true
	return c.Scan(ctx)
}

// TaskResult is the outcome of one (service, region) task.
type TaskResult struct {
	Account   string // the account scanned; "" when its scan failed before naming it
	Service   string
	Region    string
	Resources []models.Resource
	Err       error
	Duration  time.Duration
}

// TaskError is a failed task as shown to a user.
type TaskError struct {
	Account string `json:"account,omitempty"` // set when more than one account is scanned
	Service string `json:"service"`
	Region  string `json:"region"`
	Error   string `json:"error"`
}

// Where names the task: "service region", after its account when there is one.
func (e TaskError) Where() string {
	if e.Account != "" {
		return e.Account + " " + e.Service + " " + e.Region
	}
	return e.Service + " " + e.Region
}

// ScanResult is one scan of the account.
type ScanResult struct {
	ScannedAt time.Time
	Account   string
	Regions   []string
	Resources []models.Resource
	Errors    []TaskError
	Tasks     []TaskResult
	Duration  time.Duration
	// Accounts is each account's part (MultiScanner): the credentials' own alone, or
	// every account AWS_ACCOUNTS names.
	Accounts []AccountScan
	// PerAccount is set when AWS_ACCOUNTS names accounts: what is kept per account
	// (the guard's checks) is kept under each account's ID.
	PerAccount bool
}

// globalTaskRegion is the real region a global task's SDK clients talk to.
const globalTaskRegion = "us-east-1"

// Scan lists the account's resources. It fails only when the credentials cannot be had
// or the account itself cannot be identified (a *SetupError when the cause is one a
// person can act on); a failing task is reported in the result and never spoils the others.
//
// The account lookup runs beside the tasks rather than before them, and the tasks are
// handed to at most Concurrency workers in a fixed order, global ones first: a global
// task (S3 lists every bucket, then reads each bucket region's metrics) is the longest
// chain of calls, so it must not wait behind the short regional ones.
func (s *Scanner) Scan(ctx context.Context) (*ScanResult, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	start := now()
	// Credentials that cannot be had fail every task the same way: say it once, before
	// fanning out.
	if err := CheckCredentials(ctx, s.Base, Profile()); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var account string
	var accountErr error
	accountDone := make(chan struct{})
	go func() {
		defer close(accountDone)
		if account, accountErr = AccountID(ctx, s.Base); accountErr != nil {
			cancel() // no result without an account: stop the tasks
		}
	}()

	tasks := s.plan()
	limit := min(max(s.Concurrency, 1), max(len(tasks), 1))
	results := make([]TaskResult, len(tasks))
	next := make(chan int, len(tasks))
	for i := range tasks {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range limit {
		wg.Go(func() {
			for i := range next {
				t := tasks[i]
				if err := ctx.Err(); err != nil {
					results[i] = TaskResult{Service: t.c.Name(), Region: t.region, Err: err}
					continue
				}
				results[i] = s.runTask(ctx, t.c, t.region)
			}
		})
	}
	wg.Wait()
	<-accountDone
	if accountErr != nil {
		return nil, accountErr
	}

	res := &ScanResult{ScannedAt: start.UTC(), Account: account, Regions: slices.Clone(s.Regions), Tasks: results}
	for i, r := range results {
		results[i].Account = account
		for _, rsc := range r.Resources {
			rsc.AccountID = account
			res.Resources = append(res.Resources, rsc)
		}
	}
	res.Resources = dedupe(res.Resources)
	sortResources(res.Resources)
	res.Errors = summarizeErrors(results)
	res.Duration = now().Sub(start)
	return res, nil
}

// scanTask is one (collector, region) pair of a scan.
type scanTask struct {
	c      Collector
	region string
}

// plan is the scan's tasks, global ones first.
func (s *Scanner) plan() []scanTask {
	collectors := s.Collectors
	if collectors == nil {
		collectors = Collectors(s.Services)
	}
	var tasks []scanTask
	for _, c := range collectors {
		for _, r := range taskRegions(c, s.Regions) {
			tasks = append(tasks, scanTask{c, r})
		}
	}
	slices.SortStableFunc(tasks, func(a, b scanTask) int {
		return cmpBool(a.region != models.GlobalRegion, b.region != models.GlobalRegion)
	})
	return tasks
}

func (s *Scanner) runTask(ctx context.Context, c Collector, region string) (out TaskResult) {
	out = TaskResult{Service: c.Name(), Region: region}
	started := time.Now()
	defer func() {
		if p := recover(); p != nil {
			out.Err = fmt.Errorf("%s %s: collector panicked: %v", c.Name(), region, p)
		}
		out.Duration = time.Since(started)
	}()
	if s.TaskTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.TaskTimeout)
		defer cancel()
	}
	cfg := s.Base.Copy()
	cfg.Region = region
	if region == models.GlobalRegion {
		cfg.Region = globalTaskRegion
	}
	var rs []models.Resource
	var err error
	if tc, ok := c.(TaskCollector); ok {
		rs, err = tc.CollectTask(ctx, cfg, region)
	} else {
		rs, err = c.Collect(ctx, cfg)
	}
	if err != nil {
		out.Err = err
		return out
	}
	for i := range rs {
		if rs[i].Service == "" {
			rs[i].Service = c.Name()
		}
		if rs[i].Region == "" {
			rs[i].Region = region
		}
		if rs[i].Usage == nil {
			rs[i].Usage = map[string]float64{}
		}
	}
	if s.monthSoFar {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		// Without the month so far the meters start from this hour, as before: the
		// resources themselves are listed and priced whatever this read does.
		if err := readMonthSoFar(ctx, newCloudWatch(cfg), rs, now()); err != nil {
			for i := range rs {
				for k := range rs[i].Usage {
					if strings.HasPrefix(k, models.MonthSoFarPrefix) {
						delete(rs[i].Usage, k)
					}
				}
			}
		}
	}
	out.Resources = rs
	return out
}

// sortResources orders a scan's resources by service, region, account and ID.
func sortResources(rs []models.Resource) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Service != b.Service {
			return serviceOrder(a.Service) < serviceOrder(b.Service)
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		return a.ID < b.ID
	})
}

// dedupe keeps the first of resources with the same key (a global listing can meet a
// regional one).
func dedupe(rs []models.Resource) []models.Resource {
	seen := make(map[string]bool, len(rs))
	out := rs[:0]
	for _, r := range rs {
		k := r.Key()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	default:
		return 1
	}
}

func serviceOrder(s string) int {
	order := []string{"ec2", "rds", "lambda", "s3", "ebs", "vpc", "fsx", "cloudwatch", "waf", "q", "cloudfront", "lightsail", "elb"}
	if i := slices.Index(order, s); i >= 0 {
		return i
	}
	return len(order)
}

// AccountID asks STS which account the credentials belong to.
func AccountID(ctx context.Context, cfg awssdk.Config) (string, error) {
	account, _, err := Identity(ctx, cfg)
	return account, err
}

// Identity is who the credentials are: the account and the caller's ARN.
func Identity(ctx context.Context, cfg awssdk.Config) (account, arn string, err error) {
	c := cfg.Copy()
	if c.Region == "" {
		c.Region = globalTaskRegion
	}
	out, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if se := ClassifySetupError(err, Profile()); se != nil {
			return "", "", se
		}
		return "", "", fmt.Errorf("sts: get caller identity: %w", err)
	}
	return awssdk.ToString(out.Account), awssdk.ToString(out.Arn), nil
}

// regionNotEnabledCodes are the error codes AWS answers with in a region the account has
// not opted in to.
var regionNotEnabledCodes = []string{"OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"}

// IsRegionNotEnabled reports whether err is AWS refusing a region the account has not
// enabled.
func IsRegionNotEnabled(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return slices.Contains(regionNotEnabledCodes, ae.ErrorCode())
	}
	return false
}

// summarizeErrors turns failed tasks into what a user reads: a region that is not
// enabled is said once, in words; other failures one per task with the AWS message.
func summarizeErrors(results []TaskResult) []TaskError {
	byRegion := map[string][]TaskResult{}
	for _, r := range results {
		byRegion[r.Region] = append(byRegion[r.Region], r)
	}
	var out []TaskError
	notEnabled := map[string]bool{}
	for region, rs := range byRegion {
		failed, optIn := 0, 0
		for _, r := range rs {
			if r.Err != nil {
				failed++
				if IsRegionNotEnabled(r.Err) {
					optIn++
				}
			}
		}
		if optIn > 0 && optIn == failed && failed == len(rs) {
			notEnabled[region] = true
			out = append(out, TaskError{Service: "*", Region: region,
				Error: fmt.Sprintf("region %s is not enabled for this account (it is an opt-in region): enable it under Account > AWS Regions, or remove it from COST_REGIONS", region)})
		}
	}
	for _, r := range results {
		if r.Err == nil || notEnabled[r.Region] {
			continue
		}
		out = append(out, TaskError{Service: r.Service, Region: r.Region, Error: describeError(r.Err)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].Service < out[j].Service
	})
	return out
}

// describeError shortens an SDK error to its code and message, the part a user can act on.
func describeError(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := ae.ErrorMessage()
		if ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "UnauthorizedOperation" {
			return "access denied: " + strings.TrimSpace(msg) + " (see deploy/iam-policy.json)"
		}
		return ae.ErrorCode() + ": " + msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out: " + err.Error()
	}
	return err.Error()
}
