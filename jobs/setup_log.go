package jobs

import (
	"errors"
	"time"

	"costbot/aws"
)

// logRunOutcome logs a finished run. A set-up mistake (no AWS credentials, an expired
// SSO session, a role that cannot be assumed) fails every run of every AWS job the same
// way: it is logged as an error once, when it first appears, and at debug level while it
// lasts; a run of the job that succeeds ends it, so its return is news again.
func (s *Scheduler) logRunOutcome(name string, took time.Duration, counts string, err error) {
	if err == nil {
		s.mu.Lock()
		delete(s.setupSaid, name)
		s.mu.Unlock()
		s.log.Info("job done", "job", name, "duration", took, "counts", counts)
		return
	}
	var se *aws.SetupError
	if !errors.As(err, &se) {
		s.log.Error("job failed", "job", name, "duration", took, "err", err)
		return
	}
	line := se.Error()
	s.mu.Lock()
	said := false
	for _, l := range s.setupSaid {
		said = said || l == line
	}
	if s.setupSaid == nil {
		s.setupSaid = map[string]string{}
	}
	s.setupSaid[name] = line
	s.mu.Unlock()
	if said {
		s.log.Debug("job failed", "job", name, "duration", took, "err", line)
		return
	}
	s.log.Error("job failed: "+line, "job", name, "duration", took)
}
