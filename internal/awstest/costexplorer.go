package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// CEGroup is one group of a GetCostAndUsage day: its keys (SERVICE and USAGE_TYPE, or
// RECORD_TYPE and SERVICE) and amounts as decimal strings. Net and Quantity may be "".
type CEGroup struct {
	Keys      []string
	Unblended string
	Net       string
	Quantity  string
	Unit      string // of Quantity; "" is "N/A"
}

// CEDay is one day of a GetCostAndUsage answer.
type CEDay struct {
	Day       string // YYYY-MM-DD
	Estimated bool
	Groups    []CEGroup
}

// CostAndUsage is a GetCostAndUsage answer as Cost Explorer writes it, with next as its
// NextPageToken ("" on the last page).
func CostAndUsage(days []CEDay, next string) map[string]any {
	results := make([]map[string]any, 0, len(days))
	for _, d := range days {
		start, end := d.Day, nextDay(d.Day)
		groups := make([]map[string]any, 0, len(d.Groups))
		for _, g := range d.Groups {
			metrics := map[string]any{"UnblendedCost": map[string]string{"Amount": g.Unblended, "Unit": "USD"}}
			if g.Net != "" {
				metrics["NetUnblendedCost"] = map[string]string{"Amount": g.Net, "Unit": "USD"}
			}
			if g.Quantity != "" {
				unit := g.Unit
				if unit == "" {
					unit = "N/A"
				}
				metrics["UsageQuantity"] = map[string]string{"Amount": g.Quantity, "Unit": unit}
			}
			groups = append(groups, map[string]any{"Keys": g.Keys, "Metrics": metrics})
		}
		results = append(results, map[string]any{
			"TimePeriod": map[string]string{"Start": start, "End": end},
			"Total":      map[string]any{},
			"Groups":     groups,
			"Estimated":  d.Estimated,
		})
	}
	out := map[string]any{
		"ResultsByTime":            results,
		"DimensionValueAttributes": []any{},
		"GroupDefinitions": []map[string]string{
			{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"},
		},
	}
	if next != "" {
		out["NextPageToken"] = next
	}
	return out
}

// nextDay is the day after a YYYY-MM-DD day.
func nextDay(day string) string {
	var y, m, d int
	if _, err := fmt.Sscanf(day, "%d-%d-%d", &y, &m, &d); err != nil {
		return day
	}
	days := []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days[1] = 29
	}
	d++
	if d > days[m-1] {
		d, m = 1, m+1
	}
	if m > 12 {
		m, y = 1, y+1
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// QueueCostAndUsage queues answers for moto_server's GetCostAndUsage: each distinct
// request takes the next one, in order; the same request again gets the same answer.
func (m *Moto) QueueCostAndUsage(t testing.TB, results ...map[string]any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"results": results})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(m.URL+"/moto-api/static/ce/cost-and-usage-results", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("queue cost and usage: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("queue cost and usage: status %d", resp.StatusCode)
	}
}

// CostExplorerFaults stands in front of moto_server and answers Cost Explorer requests
// with the faults queued in it, one each, in Cost Explorer's awsJson1_1 error format;
// once they are used up, requests pass through to moto.
type CostExplorerFaults struct {
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	faults   []Fault
	requests int // Cost Explorer requests received, faults included
}

// NewCostExplorerFaults starts the proxy in front of target and returns it with its URL.
func NewCostExplorerFaults(t testing.TB, target string) (*CostExplorerFaults, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &CostExplorerFaults{proxy: httputil.NewSingleHostReverseProxy(u)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// Add queues faults to answer the next Cost Explorer requests with.
func (f *CostExplorerFaults) Add(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// Requests is how many Cost Explorer requests arrived, faults included.
func (f *CostExplorerFaults) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *CostExplorerFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !IsCostExplorer(r) {
		f.proxy.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.requests++
	var fault *Fault
	if len(f.faults) > 0 {
		fault = &f.faults[0]
		f.faults = f.faults[1:]
	}
	f.mu.Unlock()
	if fault == nil {
		f.proxy.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "4c9d7a1e-0000-4000-8000-costbot")
	w.WriteHeader(fault.Status)
	body, _ := json.Marshal(map[string]string{"__type": fault.Code, "Message": fault.Message})
	w.Write(body)
}

// Cost Explorer's answers to an account that cannot use it, and to too many requests.
var (
	CENotEnabled = Fault{Status: http.StatusBadRequest, Code: "AccessDeniedException",
		Message: "User not enabled for cost explorer access"}
	CEAccessDenied = Fault{Status: http.StatusBadRequest, Code: "AccessDeniedException",
		Message: "User: arn:aws:iam::123456789012:user/costbot is not authorized to perform: ce:GetCostAndUsage on resource: arn:aws:ce:us-east-1:123456789012:/GetCostAndUsage"}
	CELimitExceeded   = Fault{Status: http.StatusBadRequest, Code: "LimitExceededException", Message: "Rate exceeded"}
	CEDataUnavailable = Fault{Status: http.StatusBadRequest, Code: "DataUnavailableException", Message: "Data is not available. Please try to adjust the time period."}
)

// IsCostExplorer reports whether a request is signed for Cost Explorer.
func IsCostExplorer(r *http.Request) bool {
	_, service := CredentialScope(r.Header.Get("Authorization"))
	return strings.EqualFold(service, "ce")
}
