package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The jobs' runs, for /status and the dashboard's status page.

// StartJobRun records that a job started and returns the run to finish later.
func (s *Directory) StartJobRun(ctx context.Context, job string, at time.Time) (*JobRun, error) {
	run := &JobRun{Job: job, StartedAt: at.UTC(), Outcome: "running"}
	if err := s.db.WithContext(ctx).Create(run).Error; err != nil {
		return nil, fmt.Errorf("store: start job run %s: %w", job, err)
	}
	return run, nil
}

// FinishJobRun records a job run's end, outcome (ok, partial or failed) and counts.
func (s *Directory) FinishJobRun(ctx context.Context, run *JobRun, at time.Time, counts string, runErr error) error {
	end := at.UTC()
	run.FinishedAt = &end
	run.Counts = counts
	run.Outcome = "ok"
	run.Error = ""
	var partial *PartialError
	switch {
	case errors.As(runErr, &partial):
		run.Outcome = "partial"
		run.Error = partial.Msg
	case runErr != nil:
		run.Outcome = "failed"
		run.Error = runErr.Error()
	}
	if err := s.db.WithContext(ctx).Save(run).Error; err != nil {
		return fmt.Errorf("store: finish job run %s: %w", run.Job, err)
	}
	return nil
}

// LastJobRuns returns the latest run of every job that has run, by job name.
func (s *Directory) LastJobRuns(ctx context.Context) ([]JobRun, error) {
	var runs []JobRun
	err := s.db.WithContext(ctx).Raw(`SELECT * FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job) ORDER BY job`).Scan(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("store: last job runs: %w", err)
	}
	return runs, nil
}

// LastFailedJobRun returns the job's latest failed run, or nil.
func (s *Directory) LastFailedJobRun(ctx context.Context, job string) (*JobRun, error) {
	var run JobRun
	err := s.db.WithContext(ctx).Where("job = ? AND outcome = ?", job, "failed").Order("id DESC").Take(&run).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: last failed run of %s: %w", job, err)
	}
	return &run, nil
}

// LastRunOf is the job's latest run, or nil when it never ran.
func (s *Directory) LastRunOf(ctx context.Context, job string) (*JobRun, error) {
	var run JobRun
	err := s.db.WithContext(ctx).Raw(qLastRunOf, job).Scan(&run).Error
	if err == nil && run.ID == 0 {
		err = gorm.ErrRecordNotFound
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: last run of %s: %w", job, err)
	}
	return &run, nil
}
