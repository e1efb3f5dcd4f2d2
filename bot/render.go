package bot

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"time"

	costmodels "costbot/models"
)

// renderHelp lists every command with its one line of help.
func renderHelp(tr translator, cmds []Command) string {
	var b strings.Builder
	b.WriteString(tr.T(msgID{"help.title"}))
	for _, c := range cmds {
		b.WriteString("\n/" + c.Name + " — " + tr.T(c.Help))
		if c.Admin {
			b.WriteString(" " + tr.T(msgID{"help.admin_only"}))
		}
	}
	return b.String()
}

// statusView is what /status shows.
type statusView struct {
	Version string
	Uptime  time.Duration
	DBBytes int64
	Runs    []costmodels.JobRun
	TZ      *time.Location
	// Next is each scheduled job's next run; LastFailed each job's latest failed run,
	// shown when a later run succeeded.
	Next       map[string]time.Time
	LastFailed map[string]costmodels.JobRun
	// Billing is the Cost Explorer part (nil: not shown).
	Billing *billingStatusView
	// Leader is the replica leading (nil: one daemon, not shown).
	Leader *leaderView
	// Accounts are the current accounts the chat sees (shown with two or more, or with
	// a problem).
	Accounts []costmodels.Account
}

// leaderView is the lease holder among replicas.
type leaderView struct {
	Host  string
	PID   int
	Since time.Time
	OK    bool  // false: no replica leads right now
	Err   error // the lease could not be read
}

func renderLeader(tr translator, v leaderView, tz *time.Location) string {
	switch {
	case v.Err != nil:
		return tr.T(msgID{"status.leader_unknown"}, map[string]any{"Error": truncate(v.Err.Error(), 200)})
	case !v.OK:
		return tr.T(msgID{"status.leader_none"})
	}
	return tr.T(msgID{"status.leader"}, map[string]any{"Host": v.Host, "PID": v.PID,
		"Since": v.Since.In(tz).Format("2006-01-02 15:04:05 MST")})
}

func renderStatus(tr translator, v statusView) string {
	tz := v.TZ
	if tz == nil {
		tz = time.UTC
	}
	version := v.Version
	if version == "" {
		version = "dev"
	}
	lines := []string{
		tr.T(msgID{"status.title"}),
		tr.T(msgID{"status.version"}, map[string]any{"Version": version}),
		tr.T(msgID{"status.uptime"}, map[string]any{"Uptime": formatDuration(v.Uptime)}),
		tr.T(msgID{"status.db_size"}, map[string]any{"Size": formatBytes(v.DBBytes)}),
	}
	if v.Leader != nil {
		lines = append(lines, renderLeader(tr, *v.Leader, tz))
	}
	lines = append(lines, renderAccountProblems(tr, v.Accounts, tz)...)
	lines = append(lines, "", tr.T(msgID{"status.jobs"}))
	if len(v.Runs) == 0 {
		lines = append(lines, tr.T(msgID{"status.no_jobs"}))
	}
	for _, run := range v.Runs {
		took := tr.T(msgID{"status.still_running"})
		if run.FinishedAt != nil {
			took = formatDuration(run.FinishedAt.Sub(run.StartedAt))
		}
		lines = append(lines, tr.T(msgID{"status.job"}, map[string]any{
			"Job":      run.Job,
			"Outcome":  outcomeText(tr, run.Outcome),
			"Start":    run.StartedAt.In(tz).Format("2006-01-02 15:04:05 MST"),
			"Duration": took,
		}))
		if run.Error != "" {
			lines = append(lines, tr.T(msgID{"status.job_error"}, map[string]any{"Error": truncate(run.Error, 300)}))
		} else if run.Outcome == "failed" {
			lines = append(lines, tr.T(msgID{"status.error_elsewhere"}))
		} else if failed, ok := v.LastFailed[run.Job]; ok && failed.ID != run.ID {
			errText := truncate(failed.Error, 300)
			if errText == "" {
				errText = stripTags(tr.T(msgID{"status.error_elsewhere"}))
			}
			lines = append(lines, tr.T(msgID{"status.job_last_error"}, map[string]any{
				"When": failed.StartedAt.In(tz).Format("2006-01-02 15:04 MST"), "Error": errText}))
		}
		if next, ok := v.Next[run.Job]; ok && !next.IsZero() {
			lines = append(lines, tr.T(msgID{"status.job_next"}, map[string]any{"Next": next.In(tz).Format("2006-01-02 15:04:05 MST")}))
		}
	}
	ran := map[string]bool{}
	for _, run := range v.Runs {
		ran[run.Job] = true
	}
	var waiting []string
	for job, next := range v.Next {
		if !ran[job] && !next.IsZero() {
			waiting = append(waiting, job)
		}
	}
	slices.Sort(waiting)
	for _, job := range waiting {
		lines = append(lines, tr.T(msgID{"status.job_waiting"}, map[string]any{
			"Job": job, "Next": v.Next[job].In(tz).Format("2006-01-02 15:04:05 MST")}))
	}
	if v.Billing != nil {
		lines = append(lines, "", renderBillingStatus(tr, *v.Billing, tz))
	}
	return strings.Join(lines, "\n")
}

func outcomeText(tr translator, outcome string) string {
	switch outcome {
	case "ok":
		return tr.T(msgID{"status.outcome.ok"})
	case "failed":
		return tr.T(msgID{"status.outcome.failed"})
	case "running":
		return tr.T(msgID{"status.outcome.running"})
	case "partial":
		return tr.T(msgID{"status.outcome.partial"})
	}
	return html.EscapeString(outcome)
}

// formatDuration is short and language-neutral: 3d4h5m, 2m3s, 850ms.
func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	s := fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	if days > 0 {
		s = fmt.Sprintf("%dd", days) + s
	}
	return s
}

// formatBytes uses powers of 1024 with binary units.
// truncate keeps at most n characters, marking a cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// stripTags turns Telegram HTML into plain text, for alerts and the command menu.
func stripTags(s string) string {
	return html.UnescapeString(tagRE.ReplaceAllString(s, ""))
}

// renderAccountProblems is how many accounts costbot watches and one line for each whose
// last job could not work on it; nothing for one account that went well.
func renderAccountProblems(tr translator, accounts []costmodels.Account, tz *time.Location) []string {
	var problems []costmodels.Account
	for _, a := range accounts {
		if a.Problem != "" {
			problems = append(problems, a)
		}
	}
	if len(accounts) < 2 && len(problems) == 0 {
		return nil
	}
	lines := []string{tr.T(msgID{"status.accounts"}, map[string]any{"Count": len(accounts), "Problems": len(problems)})}
	for _, a := range problems {
		lines = append(lines, tr.T(msgID{"status.account_problem"}, map[string]any{"Account": a.Label(), "Job": a.Job,
			"When": a.CheckedAt.In(tz).Format("2006-01-02 15:04 MST"), "Problem": truncate(a.Problem, 300)}))
	}
	return lines
}
