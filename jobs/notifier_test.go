package jobs

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// A job built without a notifier is a wiring mistake: it panics at once instead of
// dropping its pushes later.
func TestJobsRefuseToBeBuiltWithoutANotifier(t *testing.T) {
	cfg := guardConfig(t, nil)
	store := openStore(t)
	for name, build := range map[string]func(){
		"NewCollector": func() { NewCollector(store, &fakeScanner{}, nil, nil, CollectorOptions{}) },
		"NewGuard":     func() { NewGuard(cfg, store, aws.Config{}, nil, nil, nil) },
		"NewReporter":  func() { NewReporter(cfg, store, nil, nil) },
		"NewBiller":    func() { NewBiller(store, nil, nil, BillingOptions{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), name+" needs a notifier") {
					t.Errorf("%s without a notifier: recovered %v, want a panic naming it", name, r)
				}
			}()
			build()
		})
	}
}
