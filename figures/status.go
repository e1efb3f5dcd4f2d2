package figures

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"costbot/models"
)

// Status is what /status and the dashboard's status page show of the jobs and of the
// accounts, as one viewer may see it.
type Status struct {
	Jobs []JobStatus
	// Accounts are the current accounts the viewer sees, each with why the last job could
	// not reach it ("" Problem when it could).
	Accounts []models.Account
}

// JobStatus is one job's latest run and its latest failed one (nil when none), each as
// the viewer may see it.
type JobStatus struct {
	Run        models.JobRun
	LastFailed *models.JobRun
}

// Status reads the jobs' latest runs and the accounts for the scope's viewer. A viewer of
// some accounts sees neither the runs' counts (they sum every account) nor any part of an
// error that names an account outside the scope: the run of a job over several accounts
// says only what concerns theirs.
func (r *Reader) Status(ctx context.Context, scope Scope) (Status, error) {
	runs, err := r.store.LastJobRuns(ctx)
	if err != nil {
		return Status{}, err
	}
	stored, err := r.store.Accounts(ctx)
	if err != nil {
		return Status{}, err
	}
	var v Status
	for _, a := range visible(stored, scope) {
		if !a.Gone {
			v.Accounts = append(v.Accounts, a)
		}
	}
	for _, run := range runs {
		js := JobStatus{Run: ScopedRun(run, scope)}
		failed, err := r.store.LastFailedJobRun(ctx, run.Job)
		if err != nil {
			return Status{}, err
		}
		if failed != nil {
			f := ScopedRun(*failed, scope)
			js.LastFailed = &f
		}
		v.Jobs = append(v.Jobs, js)
	}
	return v, nil
}

// ScopedRun is run as a viewer of scope may see it: all of it for a viewer of every
// account; otherwise without its counts, and its error without the parts that name an
// account outside the scope. A failed run left without an error failed only in accounts
// the viewer does not see, and the faces say so in those words.
func ScopedRun(run models.JobRun, scope Scope) models.JobRun {
	if scope.All() {
		return run
	}
	run.Counts = ""
	run.Error = ScopedText(run.Error, scope) // "" on a failed run: it failed in accounts the viewer does not see
	return run
}

// accountID matches what may be an AWS account ID in a message: twelve digits alone.
var accountID = regexp.MustCompile(`(^|[^0-9])([0-9]{12})([^0-9]|$)`)

// ScopedText is text (one or more messages, one a line or joined by "; ") without the
// messages that name an account outside scope.
func ScopedText(text string, scope Scope) string {
	if scope.All() || text == "" {
		return text
	}
	var kept []string
	for line := range strings.SplitSeq(text, "\n") {
		var parts []string
		for part := range strings.SplitSeq(line, "; ") {
			if namesOther(part, scope) {
				continue
			}
			parts = append(parts, part)
		}
		if len(parts) > 0 {
			kept = append(kept, strings.Join(parts, "; "))
		}
	}
	return strings.Join(kept, "\n")
}

// namesOther reports whether s names an account ID the scope does not cover.
func namesOther(s string, scope Scope) bool {
	for _, m := range accountID.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(scope, m[2]) {
			return true
		}
	}
	return false
}

// Collected is what a collection found, as a viewer of scope may see it: the hour's
// resources, unpriced ones and burn rate of the scope's accounts alone, and the errors
// that concern them.
func (r *Reader) Collected(ctx context.Context, scope Scope, sum models.CollectSummary) (models.CollectSummary, error) {
	if scope.All() {
		return sum, nil
	}
	out := models.CollectSummary{Hour: sum.Hour, Duration: sum.Duration}
	for _, e := range sum.Errors {
		if !namesOther(e, scope) {
			out.Errors = append(out.Errors, e)
		}
	}
	tally, err := r.store.TallyActiveResources(ctx, scope)
	if err != nil {
		return out, err
	}
	for _, n := range tally.PerService {
		out.Resources += n
	}
	out.Unpriced = tally.Sources.Unpriced
	if !sum.Hour.IsZero() {
		next := sum.Hour.Add(time.Hour)
		if out.HourlyUSD, err = r.store.CostTotal(ctx, sum.Hour, next, scope); err != nil {
			return out, err
		}
	}
	return out, nil
}
