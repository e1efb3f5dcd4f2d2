package awstest

import (
	"fmt"
	"time"
)

// LightsailSnapshot seeds an instance snapshot (GetInstanceSnapshots) or, with Disk
// set, a disk snapshot (GetDiskSnapshots).
type LightsailSnapshot struct {
	Name      string
	From      string // the instance (or, with Disk, the disk) it was taken of
	Disk      bool
	SizeGB    int
	CreatedAt time.Time
}

// AddSnapshot seeds a snapshot in region, shaped as Lightsail answers it.
func (l *Lightsail) AddSnapshot(region string, s LightsailSnapshot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.nextSerial()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = l.now().Add(-24 * time.Hour)
	}
	kind, key := "InstanceSnapshot", "instanceSnapshots"
	if s.Disk {
		kind, key = "DiskSnapshot", "diskSnapshots"
	}
	doc := map[string]any{
		"name":               s.Name,
		"arn":                fmt.Sprintf("arn:aws:lightsail:%s:%s:%s/%08x-0000-4000-8000-%012x", region, lightsailFakeAccount, kind, n, n),
		"supportCode":        fmt.Sprintf("%s/snap-%017x", lightsailFakeAccount, n),
		"createdAt":          epochSeconds(s.CreatedAt),
		"location":           map[string]any{"availabilityZone": "all", "regionName": region},
		"resourceType":       kind,
		"tags":               []any{},
		"sizeInGb":           s.SizeGB,
		"isFromAutoSnapshot": false,
	}
	if s.Disk {
		doc["state"], doc["progress"] = "completed", "100%"
		doc["fromDiskName"] = s.From
		doc["fromDiskArn"] = fmt.Sprintf("arn:aws:lightsail:%s:%s:Disk/%s", region, lightsailFakeAccount, s.From)
	} else {
		doc["state"], doc["progress"] = "available", "100%"
		doc["fromInstanceName"] = s.From
		doc["fromInstanceArn"] = fmt.Sprintf("arn:aws:lightsail:%s:%s:Instance/%s", region, lightsailFakeAccount, s.From)
		doc["fromBundleId"], doc["fromBlueprintId"] = "small_3_0", "ubuntu_22_04"
		doc["fromAttachedDisks"] = []any{}
	}
	r := l.region(region)
	if r.snapshots == nil {
		r.snapshots = map[string][]map[string]any{}
	}
	r.snapshots[key] = append(r.snapshots[key], doc)
}
