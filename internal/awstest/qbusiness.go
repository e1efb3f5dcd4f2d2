package awstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// QBusiness is an in-process Amazon Q Business API speaking restJson1 as the SDK client
// expects: GET /applications and GET /applications/{applicationId}/subscriptions, paged with
// the maxResults and nextToken query parameters, errors named by the X-Amzn-ErrorType header.
// A test seeds applications and subscriptions per region and reads the recorded calls.
type QBusiness struct {
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	pageSize int
	apps     map[string][]QApplication             // by region
	subs     map[string]map[string][]QSubscription // by region, then application id
	indices  map[string]map[string][]QIndex        // by region, then application id
	calls    []QBusinessCall
}

// QApplication seeds an application.
type QApplication struct {
	ID           string
	Name         string
	Status       string // default ACTIVE
	IdentityType string // default AWS_IAM_IDC
	CreatedAt    time.Time
}

// QSubscription seeds a subscription: a user or a group with its current and next tier
// (Q_LITE or Q_BUSINESS).
type QSubscription struct {
	ID      string
	User    string // IAM Identity Center user id; set User or Group
	Group   string
	Current string
	Next    string // default Current
}

// QBusinessCall is one request the fake received.
type QBusinessCall struct {
	Op     string // ListApplications or ListSubscriptions
	Region string // from the SigV4 credential scope
	Path   string
	Query  url.Values
	Status int
}

// StartQBusiness starts a fake Q Business API that stops with the test. Without maxResults
// it answers two items per page (see SetPageSize).
func StartQBusiness(t testing.TB) *QBusiness {
	t.Helper()
	q := &QBusiness{
		pageSize: 2,
		apps:     map[string][]QApplication{},
		subs:     map[string]map[string][]QSubscription{},
	}
	q.srv = httptest.NewServer(http.HandlerFunc(q.serve))
	q.URL = q.srv.URL
	t.Cleanup(q.srv.Close)
	return q
}

// Config is an AWS configuration for region whose clients talk to the fake.
func (q *QBusiness) Config(region string) awssdk.Config { return Config(q.URL, region) }

// SetPageSize sets how many items a page holds when the request has no smaller maxResults.
func (q *QBusiness) SetPageSize(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pageSize = max(n, 1)
}

// AddApplication seeds an application in region.
func (q *QBusiness) AddApplication(region string, app QApplication) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if app.Status == "" {
		app.Status = "ACTIVE"
	}
	if app.IdentityType == "" {
		app.IdentityType = "AWS_IAM_IDC"
	}
	if app.CreatedAt.IsZero() {
		app.CreatedAt = time.Now().Add(-24 * time.Hour)
	}
	q.apps[region] = append(q.apps[region], app)
}

// AddSubscription seeds a subscription of an application in region.
func (q *QBusiness) AddSubscription(region, appID string, s QSubscription) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s.Next == "" {
		s.Next = s.Current
	}
	if q.subs[region] == nil {
		q.subs[region] = map[string][]QSubscription{}
	}
	if s.ID == "" {
		s.ID = fmt.Sprintf("sub-%d", len(q.subs[region][appID])+1)
	}
	q.subs[region][appID] = append(q.subs[region][appID], s)
}

// Calls returns the recorded calls of op, or every call when op is empty, in order.
func (q *QBusiness) Calls(op string) []QBusinessCall {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []QBusinessCall
	for _, c := range q.calls {
		if op == "" || c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

func (q *QBusiness) serve(w http.ResponseWriter, r *http.Request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	region, _ := CredentialScope(r.Header.Get("Authorization"))
	call := QBusinessCall{Region: region, Path: r.URL.Path, Query: r.URL.Query()}
	status, answer := q.route(r, &call)
	call.Status = status
	q.calls = append(q.calls, call)
	w.Header().Set("Content-Type", "application/json")
	if status != http.StatusOK {
		w.Header().Set("X-Amzn-ErrorType", answer["__type"].(string))
		delete(answer, "__type")
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(answer)
}

func qError(status int, code, message string) (int, map[string]any) {
	return status, map[string]any{"__type": code, "message": message}
}

func (q *QBusiness) route(r *http.Request, call *QBusinessCall) (int, map[string]any) {
	if call.Region == "" {
		return qError(http.StatusForbidden, "AccessDeniedException", "request is not signed with SigV4")
	}
	if r.Method != http.MethodGet {
		return qError(http.StatusMethodNotAllowed, "ValidationException", "the fake serves only GET")
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "applications":
		call.Op = "ListApplications"
		var items []any
		for _, a := range q.apps[call.Region] {
			items = append(items, map[string]any{
				"applicationId": a.ID, "displayName": a.Name, "status": a.Status,
				"identityType": a.IdentityType, "createdAt": epochSeconds(a.CreatedAt), "updatedAt": epochSeconds(a.CreatedAt),
			})
		}
		return q.page(r.URL.Query(), items, "applications")
	case len(parts) == 3 && parts[0] == "applications" && parts[2] == "subscriptions":
		call.Op = "ListSubscriptions"
		appID, err := url.PathUnescape(parts[1])
		if err != nil || !q.hasApp(call.Region, appID) {
			return qError(http.StatusNotFound, "ResourceNotFoundException", "application not found: "+parts[1])
		}
		var items []any
		for _, s := range q.subs[call.Region][appID] {
			principal := map[string]any{"user": s.User}
			if s.Group != "" {
				principal = map[string]any{"group": s.Group}
			}
			items = append(items, map[string]any{
				"subscriptionId":      s.ID,
				"subscriptionArn":     fmt.Sprintf("arn:aws:qbusiness:%s:%s:application/%s/subscription/%s", call.Region, lightsailFakeAccount, appID, s.ID),
				"principal":           principal,
				"currentSubscription": map[string]any{"type": s.Current},
				"nextSubscription":    map[string]any{"type": s.Next},
			})
		}
		return q.page(r.URL.Query(), items, "subscriptions")
	case len(parts) >= 3 && parts[0] == "applications" && parts[2] == "indices":
		return q.routeIndices(r, call, parts)
	}
	return qError(http.StatusNotFound, "UnknownOperationException", "the fake does not serve "+r.URL.Path)
}

func (q *QBusiness) hasApp(region, id string) bool {
	for _, a := range q.apps[region] {
		if a.ID == id {
			return true
		}
	}
	return false
}

// page serves one page; nextToken is the offset of the next page.
func (q *QBusiness) page(query url.Values, items []any, key string) (int, map[string]any) {
	size := q.pageSize
	if v := query.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return qError(http.StatusBadRequest, "ValidationException", "maxResults must be between 1 and 100")
		}
		size = min(size, n)
	}
	offset := 0
	if tok := query.Get("nextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "token-"))
		if err != nil || !strings.HasPrefix(tok, "token-") || n < 0 || n > len(items) {
			return qError(http.StatusBadRequest, "ValidationException", "invalid nextToken")
		}
		offset = n
	}
	end := min(offset+size, len(items))
	out := map[string]any{key: items[offset:end]}
	if items[offset:end] == nil {
		out[key] = []any{}
	}
	if end < len(items) {
		out["nextToken"] = fmt.Sprintf("token-%d", end)
	}
	return http.StatusOK, out
}
