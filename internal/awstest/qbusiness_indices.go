package awstest

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// QIndex seeds an application's index: its type (ENTERPRISE or STARTER) and the
// capacity units it is provisioned with.
type QIndex struct {
	ID    string
	Name  string
	Type  string // default ENTERPRISE
	Units int    // default 1
}

// AddIndex seeds an index of an application in region.
func (q *QBusiness) AddIndex(region, appID string, ix QIndex) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ix.Type == "" {
		ix.Type = "ENTERPRISE"
	}
	if ix.Units == 0 {
		ix.Units = 1
	}
	if q.indices == nil {
		q.indices = map[string]map[string][]QIndex{}
	}
	if q.indices[region] == nil {
		q.indices[region] = map[string][]QIndex{}
	}
	q.indices[region][appID] = append(q.indices[region][appID], ix)
}

// routeIndices serves ListIndices (GET /applications/{id}/indices) and GetIndex
// (GET /applications/{id}/indices/{indexId}) as the restJson1 API answers them.
func (q *QBusiness) routeIndices(r *http.Request, call *QBusinessCall, parts []string) (int, map[string]any) {
	appID, err := url.PathUnescape(parts[1])
	if err != nil || !q.hasApp(call.Region, appID) {
		return qError(http.StatusNotFound, "ResourceNotFoundException", "application not found: "+parts[1])
	}
	created := epochSeconds(time.Now().Add(-24 * time.Hour))
	switch len(parts) {
	case 3:
		call.Op = "ListIndices"
		var items []any
		for _, ix := range q.indices[call.Region][appID] {
			items = append(items, map[string]any{"indexId": ix.ID, "displayName": ix.Name, "status": "ACTIVE",
				"createdAt": created, "updatedAt": created})
		}
		return q.page(r.URL.Query(), items, "indices")
	case 4:
		call.Op = "GetIndex"
		for _, ix := range q.indices[call.Region][appID] {
			if ix.ID == parts[3] {
				return http.StatusOK, map[string]any{
					"applicationId": appID, "indexId": ix.ID, "displayName": ix.Name, "type": ix.Type, "status": "ACTIVE",
					"indexArn":              fmt.Sprintf("arn:aws:qbusiness:%s:%s:application/%s/index/%s", call.Region, lightsailFakeAccount, appID, ix.ID),
					"capacityConfiguration": map[string]any{"units": ix.Units},
					"createdAt":             created, "updatedAt": created,
				}
			}
		}
		return qError(http.StatusNotFound, "ResourceNotFoundException", "index not found: "+parts[3])
	}
	return qError(http.StatusNotFound, "UnknownOperationException", "the fake does not serve "+r.URL.Path)
}
